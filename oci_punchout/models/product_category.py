from odoo import api, fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    punchout_classification_scheme = fields.Selection(
        [("UNSPSC", "UNSPSC"), ("ECLASS", "eCl@ss")],
        string="Classification Scheme",
        help="Product classification the buyers' procurement systems use.",
    )
    punchout_classification_code = fields.Char(
        string="Classification Code",
        help="Code of this category in the scheme; sub-categories without their own code "
        "inherit it.",
    )
    punchout_effective_code = fields.Char(
        string="Effective Classification",
        compute="_compute_punchout_effective_code",
        recursive=True,
        help="The code sent for products of this category: its own, else the nearest parent's.",
    )

    @api.depends(
        "punchout_classification_code",
        "punchout_classification_scheme",
        "parent_id.punchout_effective_code",
    )
    def _compute_punchout_effective_code(self):
        for category in self:
            scheme, code = category._get_punchout_classification()
            category.punchout_effective_code = f"{scheme} {code}" if code else False

    def _get_punchout_classification(self):
        """(scheme, code) of this category, inherited from the nearest parent that has one."""
        self.ensure_one()
        category = self
        while category:
            if category.punchout_classification_code:
                return (
                    category.punchout_classification_scheme or "UNSPSC",
                    category.punchout_classification_code,
                )
            category = category.parent_id
        return (False, False)
