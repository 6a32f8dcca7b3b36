import logging
from datetime import timezone
from decimal import Decimal

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import float_compare, float_is_zero

from ..protocol import cxml, orders, pdf
from ..protocol.errors import Conflict, MalformedDocument, PunchoutProtocolError

_logger = logging.getLogger(__name__)

# Extrinsics of a purchase order that name the buyer's reference (BT-10 of the invoices), most
# explicit first; keys are compared without case, spaces, '-' and '_' (see _reference_key).
BUYER_REFERENCE_EXTRINSICS = (
    "buyerreference",
    "costcenter",
    "costcentre",
    "kostenstelle",
    "accountingcost",
    "customerreference",
)
# Else the person who ordered: contacts of the purchase order with these roles, in this order.
BUYER_REFERENCE_CONTACT_ROLES = ("requester", "enduser", "buyer")


class PunchoutOrderMatcher(models.AbstractModel):
    """Turns a buyer's approved purchase order into a confirmed sale order.

    One matcher for every channel: the purchase order arrives as a ``protocol.cxml.OrderRequest``
    (cXML, or any other format read into one). It goes to the transferred quotation its lines
    refer to (our SupplierPartAuxiliaryID / EXT_QUOTE_ID references); what differs follows the
    connection's deviation policy; what cannot be matched is added and flagged for a salesperson.
    """

    _name = "punchout.order.matcher"
    _description = "Punchout Purchase Order Matching"

    @api.model
    def _process(self, connection, purchase_order, payload_id=None, quotation=None):
        """Apply ``purchase_order`` (new, update or delete). Returns (sale order, summary).

        ``quotation``: the quotation a new purchase order is for, when a person said so (a PO
        file uploaded on that quotation); otherwise it is looked for."""
        if not purchase_order.order_id:
            raise MalformedDocument(self.env._("The purchase order has no number."))
        if purchase_order.order_type == "update":
            return self._update(connection, purchase_order, payload_id)
        if purchase_order.order_type == "delete":
            return self._delete(connection, purchase_order, payload_id)
        return self._create(connection, purchase_order, payload_id, quotation)

    # ------------------------------------------------------------------
    # new / update / delete
    # ------------------------------------------------------------------

    def _create(self, connection, purchase_order, payload_id, quotation=None):
        existing = self._find_ordered(connection, purchase_order.order_id)
        if existing:
            raise Conflict(
                self.env._(
                    "Purchase order %(po)s was already received: it is our order %(order)s.",
                    po=purchase_order.order_id,
                    order=existing.name,
                )
            )
        # Channels without anyone to answer (e-mail, upload) never refuse: what needs a person
        # stays a quotation for the salesperson to review.
        review = self.env.context.get("punchout_review_instead_of_refusal")
        notes = []
        refused = [] if review else None
        quotation = quotation or self._find_quotation(connection, purchase_order)
        if quotation:
            order = quotation
        else:
            order = self._new_order(connection, purchase_order)
            notes.append(
                self.env._(
                    "No punchout quotation matches this purchase order: a new quotation, to "
                    "review and confirm."
                )
                if review
                else self.env._("No punchout quotation matches this purchase order: a new order.")
            )
        held = []
        notes += self._apply_lines(
            connection, order, purchase_order, new=True, refused=refused, held=held
        )
        self._apply_header(connection, order, purchase_order, payload_id)
        hold = (review and (not quotation or refused)) or held
        if refused:
            notes += refused
        notes += held
        if order.state in ("draft", "sent") and not hold:
            order.action_confirm()
        if order.punchout_session_id:
            order.punchout_session_id.sudo().state = "ordered"
        self._report(order, purchase_order, notes)
        return order, notes

    def _update(self, connection, purchase_order, payload_id):
        order = self._find_ordered(connection, purchase_order.order_id)
        if not order:
            raise PunchoutProtocolError(
                self.env._(
                    "Purchase order %(po)s is unknown: it cannot be updated.",
                    po=purchase_order.order_id,
                )
            )
        if self._is_delivered(order):
            notes = [
                self.env._(
                    "The buyer changed purchase order %(po)s, but goods were already "
                    "delivered: review the change by hand.",
                    po=purchase_order.order_id,
                )
            ]
        else:
            held = []
            notes = self._apply_lines(connection, order, purchase_order, new=False, held=held)
            notes += held
            self._apply_header(connection, order, purchase_order, payload_id)
        self._report(order, purchase_order, notes, force_activity=bool(notes))
        return order, notes

    def _delete(self, connection, purchase_order, payload_id):
        order = self._find_ordered(connection, purchase_order.order_id)
        if not order:
            raise PunchoutProtocolError(
                self.env._(
                    "Purchase order %(po)s is unknown: it cannot be cancelled.",
                    po=purchase_order.order_id,
                )
            )
        if self._is_delivered(order) or order.invoice_ids.filtered(
            lambda move: move.state == "posted"
        ):
            notes = [
                self.env._(
                    "The buyer cancelled purchase order %(po)s, but it was already delivered "
                    "or invoiced: review the cancellation by hand.",
                    po=purchase_order.order_id,
                )
            ]
        else:
            order.with_context(
                disable_cancel_warning=True, punchout_cancelled_by_buyer=True
            )._action_cancel()
            notes = []
        order.message_post(
            body=self.env._(
                "The buyer cancelled purchase order %(po)s (document %(doc)s).",
                po=purchase_order.order_id,
                doc=payload_id or "",
            )
        )
        self._report(order, purchase_order, notes, force_activity=bool(notes))
        return order, notes

    # ------------------------------------------------------------------
    # PDF purchase orders (e-mail and upload)
    # ------------------------------------------------------------------

    @api.model
    def _read_pdf_order(self, data, name, connection=None, quotation=None, max_bytes=None):
        """The purchase order in a PDF: an embedded XML order first, else what its text says.

        When the text names our quotation but its lines cannot be read, the quotation's lines
        are taken as ordered. Returns (OrderDocument, lines_taken_from_quotation).

        :raises MalformedDocument: unreadable or password-protected PDF, no PO number, nothing
            to tell what was ordered
        """
        kwargs = {"max_bytes": max_bytes} if max_bytes else {}
        try:
            content = pdf.read_pdf(data, **kwargs)
        except PunchoutProtocolError as exc:
            raise type(exc)(
                self.env._("%(name)s: %(error)s", name=name, error=exc.message), exc.status
            ) from None
        for embedded_name, xml_content in content.xml_attachments:
            try:
                return orders.read_order(xml_content, **kwargs), False
            except PunchoutProtocolError as exc:
                _logger.info("PDF %s: embedded %s is no order (%s)", name, embedded_name, exc)
        text = content.text
        po_pattern = connection.order_po_pattern if connection else None
        references = orders.find_pdf_references(text, po_pattern=po_pattern or None)
        if not references.po_number:
            raise MalformedDocument(
                self.env._("No purchase order number was found in %(name)s.", name=name)
            )
        if references.lines:
            return orders.OrderDocument("pdf", references.to_order_request()), False
        quotation = quotation or self._open_quotation(connection, references.quotation_refs)
        if not quotation:
            raise MalformedDocument(
                self.env._(
                    "Purchase order %(po)s: neither its lines nor one of our quotations could be "
                    "read from %(name)s.",
                    po=references.po_number,
                    name=name,
                )
            )
        purchase_order = cxml.OrderRequest(
            order_id=references.po_number,
            order_date=references.order_date,
            items=[
                cxml.Item(
                    quantity=Decimal(str(line.product_uom_qty)),
                    line_number=index,
                    supplier_part_id=line.product_id.default_code or str(line.product_id.id),
                    supplier_part_auxiliary_id=quotation._punchout_line_reference(line),
                )
                for index, line in enumerate(
                    quotation.order_line.filtered(
                        lambda line: line.product_id and not line.display_type
                    ),
                    1,
                )
            ],
        )
        return orders.OrderDocument("pdf", purchase_order), True

    def _open_quotation(self, connection, names):
        """The open punchout quotation (of ``connection``, when given) among ``names``."""
        if not names:
            return self.env["sale.order"]
        domain = [
            ("name", "in", list(names)),
            ("punchout_connection_id", "!=", False),
            ("state", "in", ("draft", "sent")),
            ("punchout_po_number", "=", False),
        ]
        if connection:
            domain.append(("punchout_connection_id", "=", connection.id))
        return self.env["sale.order"].sudo().search(domain, limit=1)

    # ------------------------------------------------------------------
    # finding
    # ------------------------------------------------------------------

    def _find_ordered(self, connection, po_number):
        return (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("punchout_connection_id", "=", connection.id),
                    ("punchout_po_number", "=", po_number),
                    ("state", "!=", "cancel"),
                ],
                limit=1,
            )
        )

    @api.model
    def _split_reference(self, reference):
        """'S00042/123' -> ('S00042', 123); anything else -> (reference or '', None)."""
        name, _sep, line_ref = (reference or "").rpartition("/")
        if name and line_ref.isdigit():
            return name, int(line_ref)
        return reference or "", None

    def _find_quotation(self, connection, purchase_order):
        """The transferred quotation the PO's lines refer to, else one with the same lines."""
        SaleOrder = self.env["sale.order"].sudo()
        open_quotations = [
            ("punchout_connection_id", "=", connection.id),
            ("state", "in", ("draft", "sent")),
            ("punchout_po_number", "=", False),
        ]
        names = {}
        for item in purchase_order.items:
            name, _line_id = self._split_reference(item.supplier_part_auxiliary_id)
            if name:
                names[name] = names.get(name, 0) + 1
        if names:
            candidates = SaleOrder.search([*open_quotations, ("name", "in", list(names))])
            if candidates:
                return candidates.sorted(lambda order: -names.get(order.name, 0))[:1]
        # No references: the buyer's open punchout quotations with the same products and
        # quantities; only a single such quotation is taken (never guess between several).
        wanted = sorted(
            (item.supplier_part_id, float(item.quantity)) for item in purchase_order.items
        )
        matches = SaleOrder.search([*open_quotations, ("state", "=", "sent")]).filtered(
            lambda order: (
                sorted(
                    (line.product_id.default_code or str(line.product_id.id), line.product_uom_qty)
                    for line in order.order_line
                    if line.product_id and not line.display_type
                )
                == wanted
            )
        )
        return matches if len(matches) == 1 else SaleOrder

    def _new_order(self, connection, purchase_order):
        return (
            self.env["sale.order"]
            .sudo()
            .create(
                {
                    "partner_id": connection.partner_id.id,
                    "company_id": connection.company_id.id,
                    "pricelist_id": connection.pricelist_id.id,
                    "website_id": connection.website_id.id,
                    "user_id": connection.salesperson_id.id or False,
                    "punchout_connection_id": connection.id,
                }
            )
        )

    def _is_delivered(self, order):
        return any(line.qty_delivered for line in order.order_line)

    # ------------------------------------------------------------------
    # lines
    # ------------------------------------------------------------------

    def _apply_lines(self, connection, order, purchase_order, new, refused=None, held=None):
        """Match the PO lines to the order lines; returns what a salesperson must review.

        ``refused``: a list to collect deviations the policy refuses, instead of raising.
        ``held``: a list to collect lines that cannot be ordered (no positive quantity, a
        product the shop would not sell to this buyer): the order waits for a salesperson,
        unless the policy refuses deviations and someone can be answered (a 400 naming the
        line)."""
        notes = []
        deviations = []
        held = [] if held is None else held
        Line = self.env["sale.order.line"].sudo()
        matched = Line
        product_lines = order.order_line.filtered(
            lambda line: not line.display_type and line.product_id
        )
        # Products of every SupplierPartID at once, and which of them this buyer may order.
        products = self.env["punchout.cxml"]._find_products(
            connection, [item.supplier_part_id for item in purchase_order.items]
        )
        orderable = connection._filter_orderable(
            self.env["product.product"].union(*products.values()), in_shop=False
        )
        to_add = []
        for item in purchase_order.items:
            line = self._match_line(order, product_lines - matched, item, new)
            product = products.get(item.supplier_part_id) or self.env["product.product"]
            problem = self._unorderable(line, item, product, orderable)
            if problem:
                if connection.order_deviation_policy == "refuse" and refused is None:
                    raise PunchoutProtocolError(problem)
                self._add_note_line(order, problem)
                held.append(problem)
                matched |= line
                continue
            if not line:
                if product:
                    to_add.append((item, product))
                else:
                    notes.append(self._add_unknown_item(order, item))
                continue
            deviations += self._deviations(connection, line, item)
            matched |= line
            line.write(
                {
                    "punchout_po_line_number": item.line_number or 0,
                    "punchout_buyer_part_id": item.buyer_part_id or False,
                    "punchout_ordered_qty": float(item.quantity),
                }
            )
        notes += self._add_lines(connection, order, to_add)
        if deviations:
            policy = connection.order_deviation_policy
            if policy == "refuse" and refused is not None:
                refused += [
                    self.env._("Not confirmed, beyond the deviation policy: %(text)s", text=text)
                    for _line, _values, text in deviations
                ]
            elif policy == "refuse":
                raise PunchoutProtocolError(
                    self.env._(
                        "The purchase order differs from our quotation: %(details)s",
                        details="; ".join(text for _line, _values, text in deviations),
                    )
                )
            for line, values, text in deviations:
                if policy == "accept":
                    line.write(values)
                    notes_text = self.env._("Accepted the buyer's value: %(text)s", text=text)
                    order.message_post(body=notes_text)
                elif policy != "refuse":
                    notes.append(text)
        unordered = product_lines - matched
        if unordered:
            names = ", ".join(unordered.mapped("product_id.display_name"))
            if order.state in ("draft", "sent"):
                unordered.unlink()
            else:
                unordered.write({"product_uom_qty": 0.0})
            order.message_post(
                body=self.env._(
                    "Not in the buyer's purchase order, removed: %(products)s", products=names
                )
            )
        return notes

    def _match_line(self, order, candidates, item, new):
        name, line_id = self._split_reference(item.supplier_part_auxiliary_id)
        if line_id and name == order.name:
            line = candidates.filtered(lambda line: line.id == line_id)
            if line:
                return line
        if not new and item.line_number:
            line = candidates.filtered(
                lambda line: line.punchout_po_line_number == item.line_number
            )
            if line:
                return line[:1]
        # No line reference (a PO naming only our quotation, or a PDF): the same product.
        if item.supplier_part_id:
            line = candidates.filtered(
                lambda line: (
                    item.supplier_part_id
                    in (line.product_id.default_code, str(line.product_id.id))
                )
            )
            if line:
                return line[:1]
        return self.env["sale.order.line"]

    def _unorderable(self, line, item, product, orderable):
        """Why a PO line cannot be applied as it is (a quotation line matched or not), or ''."""
        number = item.line_number or "?"
        if item.quantity <= 0:
            return self.env._(
                "Line %(number)s: the quantity %(quantity)s is not a positive quantity.",
                number=number,
                quantity=item.quantity,
            )
        if line:
            return ""
        if product and product not in orderable:
            return self.env._(
                "Line %(number)s: item %(part)s cannot be ordered (archived, not for sale or "
                "outside the buyer's assortment).",
                number=number,
                part=item.supplier_part_id,
            )
        return ""

    def _add_note_line(self, order, text):
        order.sudo().write(
            {"order_line": [Command.create({"display_type": "line_note", "name": text})]}
        )

    def _add_unknown_item(self, order, item):
        """A PO line naming none of our products: a note line on the order, and the note."""
        description = item.description or item.short_name or item.supplier_part_id
        self._add_note_line(
            order,
            self.env._(
                "Unknown item %(part)s: %(description)s, quantity %(quantity)s at %(price)s",
                part=item.supplier_part_id,
                description=description,
                quantity=item.quantity,
                price=item.unit_price.amount if item.unit_price else "?",
            ),
        )
        return self.env._(
            "Line %(number)s: item %(part)s is not one of our products.",
            number=item.line_number or "?",
            part=item.supplier_part_id,
        )

    def _add_lines(self, connection, order, to_add):
        """PO lines that refer to no quotation line, [(item, product)]: added in one batch,
        flagged. Returns the notes."""
        accept = connection.order_deviation_policy == "accept"
        vals_list = []
        for item, product in to_add:
            vals = {
                "order_id": order.id,
                "product_id": product.id,
                "product_uom_qty": float(item.quantity),
                "punchout_po_line_number": item.line_number or 0,
                "punchout_buyer_part_id": item.buyer_part_id or False,
                "punchout_ordered_qty": float(item.quantity),
            }
            if item.unit_price and accept:
                vals.update(price_unit=float(item.unit_price.amount), discount=0.0)
            vals_list.append(vals)
        self.env["sale.order.line"].sudo().create(vals_list)
        return [
            self.env._(
                "Line %(number)s (%(product)s) is not from our quotation: added, please check it.",
                number=item.line_number or "?",
                product=product.display_name,
            )
            for item, product in to_add
        ]

    def _deviations(self, connection, line, item):
        """[(line, values to accept the buyer's, text)] where the PO differs from our line."""
        result = []
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        quantity = float(item.quantity)
        if float_compare(quantity, line.product_uom_qty, precision_digits=precision):
            result.append(
                (
                    line,
                    {"product_uom_qty": quantity},
                    self.env._(
                        "%(product)s: quantity %(theirs)s ordered, %(ours)s quoted",
                        product=line.product_id.display_name,
                        theirs=quantity,
                        ours=line.product_uom_qty,
                    ),
                )
            )
        if item.unit_price:
            theirs = float(item.unit_price.amount)
            ours = line.price_unit * (1.0 - (line.discount or 0.0) / 100.0)
            tolerance = abs(ours) * (connection.order_price_tolerance or 0.0) / 100.0
            currency = line.order_id.currency_id
            if item.unit_price.currency and item.unit_price.currency != currency.name:
                result.append(
                    (
                        line,
                        {},
                        self.env._(
                            "%(product)s: priced in %(theirs)s, our quotation is in %(ours)s",
                            product=line.product_id.display_name,
                            theirs=item.unit_price.currency,
                            ours=currency.name,
                        ),
                    )
                )
            elif abs(theirs - ours) > tolerance and not float_is_zero(
                theirs - ours, precision_rounding=currency.rounding
            ):
                result.append(
                    (
                        line,
                        {"price_unit": theirs, "discount": 0.0},
                        self.env._(
                            "%(product)s: unit price %(theirs)s ordered, %(ours)s quoted",
                            product=line.product_id.display_name,
                            theirs=theirs,
                            ours=currency.round(ours),
                        ),
                    )
                )
        return result

    # ------------------------------------------------------------------
    # header
    # ------------------------------------------------------------------

    def _apply_header(self, connection, order, purchase_order, payload_id):
        values = {
            "client_order_ref": purchase_order.order_id,
            "punchout_po_number": purchase_order.order_id,
            "punchout_po_version": purchase_order.order_version or 1,
            "punchout_po_payload_id": payload_id or False,
            "punchout_po_date": _naive(purchase_order.order_date) or fields.Datetime.now(),
            "punchout_connection_id": connection.id,
        }
        buyer_reference = self._buyer_reference(purchase_order)
        if buyer_reference:
            values["punchout_buyer_reference"] = buyer_reference
        if purchase_order.ship_to:
            values["partner_shipping_id"] = self._address(
                connection, purchase_order.ship_to, "delivery"
            ).id
        if purchase_order.bill_to:
            values["partner_invoice_id"] = self._address(
                connection, purchase_order.bill_to, "invoice"
            ).id
        dates = [
            item.requested_delivery_date
            for item in purchase_order.items
            if item.requested_delivery_date
        ]
        if dates:
            values["commitment_date"] = _naive(min(dates))
        order.write(values)
        details = []
        if purchase_order.comments:
            details.append(self.env._("Comments: %(text)s", text=purchase_order.comments))
        for key, value in purchase_order.extrinsics.items():
            details.append(f"{key}: {value}")
        for item in purchase_order.items:
            if item.comments:
                details.append(
                    self.env._(
                        "Line %(number)s: %(text)s", number=item.line_number, text=item.comments
                    )
                )
        if details:
            order.message_post(
                body=Markup("<br/>").join(
                    [
                        self.env._(
                            "From the buyer's purchase order %(po)s:", po=purchase_order.order_id
                        ),
                        *details,
                    ]
                )
            )

    @api.model
    def _buyer_reference(self, purchase_order):
        """The reference the buyer's invoices should carry (BuyerReference, BT-10): a cost
        centre or buyer reference among the PO's extrinsics, else the requester's name or
        e-mail; False when the PO names neither."""
        extrinsics = {
            _reference_key(key): (value or "").strip()
            for key, value in (purchase_order.extrinsics or {}).items()
        }
        for key in BUYER_REFERENCE_EXTRINSICS:
            if extrinsics.get(key):
                return extrinsics[key]
        for role in BUYER_REFERENCE_CONTACT_ROLES:
            for contact in purchase_order.contacts:
                if _reference_key(contact.role) != role:
                    continue
                reference = (contact.name or "").strip() or (contact.email or "").strip()
                if reference:
                    return reference
        return False

    def _address(self, connection, address, address_type):
        """A contact of the buyer company for a ShipTo/BillTo, found or created."""
        commercial = connection.partner_id.commercial_partner_id
        Partner = self.env["res.partner"].sudo()
        country = self.env["res.country"].search(
            [("code", "=", (address.country_code or "").upper())], limit=1
        )
        street = address.street[0] if address.street else ""
        name = address.name or " ".join(address.deliver_to) or commercial.name
        domain = [
            ("id", "child_of", commercial.id),
            ("name", "=", name),
            ("street", "=", street or False),
            ("zip", "=", address.postal_code or False),
            ("city", "=", address.city or False),
        ]
        if country:
            domain.append(("country_id", "=", country.id))
        partner = Partner.search(domain, limit=1)
        if partner:
            return partner
        if not (street or address.city):
            return commercial
        return Partner.create(
            {
                "parent_id": commercial.id,
                "type": address_type,
                "name": name,
                "street": street or False,
                "street2": ", ".join(address.street[1:]) or False,
                "zip": address.postal_code or False,
                "city": address.city or False,
                "country_id": country.id or False,
                "email": address.email or False,
                "phone": address.phone or False,
                "ref": address.address_id or False,
            }
        )

    def _report(self, order, purchase_order, notes, force_activity=False):
        """Flag the order for a salesperson when something needs a person."""
        if not notes and not force_activity:
            return
        user = order.punchout_connection_id._punchout_responsible(order)
        order.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Review purchase order %(po)s", po=purchase_order.order_id),
            note=Markup("<br/>").join(notes),
            user_id=user.id,
        )


def _reference_key(key):
    """'Cost Center', 'COST_CENTER', 'cost-center' -> 'costcenter'."""
    return "".join(char for char in (key or "").lower() if char.isalnum())


def _naive(value):
    """Datetimes are stored naive (UTC) in Odoo."""
    if not value:
        return value
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
