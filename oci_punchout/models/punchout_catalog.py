import io
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import email_normalize, split_every

from ..protocol import catalog, cxml

# The formats a connection's catalogue is exported in: (label, file extension, mimetype).
CATALOG_FORMATS = {
    "cxml-index": ("cXML Index", "xml", "text/xml"),
    "cif": ("CIF 3.0", "cif", "text/plain"),
    "bmecat": ("BMEcat 2005", "xml", "text/xml"),
    "oci5-json": ("OCI 5.0 JSON", "json", "application/json"),
}
BATCH_SIZE = 500
DELIVERY_OVERLAP = timedelta(minutes=10)
# BMEcat names languages by ISO 639-2.
BMECAT_LANGUAGES = {"de": "deu", "en": "eng", "nl": "nld", "fr": "fra", "it": "ita", "es": "spa"}


class PunchoutCatalog(models.AbstractModel):
    """The catalogue of a connection for buyers who load it (Ariba's cXML Index, BMEcat):
    exactly what that buyer sees punching in (assortment, pricelist prices with their
    quantity breaks, units, classifications, manufacturer, lead times), written as a stream in
    batches, products the buyer's system would refuse left out with the reason."""

    _name = "punchout.catalog"
    _description = "Punchout: catalogues buyers load"

    @api.model
    def _products(self, connection, since=None, ids=None):
        """The products of ``connection``'s shop (its assortment, published, saleable), changed
        since ``since`` when given, among ``ids`` when given, ordered by id."""
        domain = [
            ("product_tmpl_id", "any", connection._get_shop_product_domain()),
            ("sale_ok", "=", True),
        ]
        if ids is not None:
            domain.append(("id", "in", ids))
        if since:
            domain += [
                "|",
                ("write_date", ">=", since),
                ("product_tmpl_id.write_date", ">=", since),
            ]
        return connection.env["product.product"].sudo().search(domain, order="id")

    @api.model
    def _break_quantities(self, connection):
        """The quantities at which the buyer's pricelist changes a price (1 first)."""
        rules = connection.pricelist_id.sudo().item_ids
        return sorted({1.0, *(q for q in rules.mapped("min_quantity") if q > 1)})

    @api.model
    def _entries(self, connection, products):
        """``(product, reason it is left out or None, catalogue values)`` for ``products``, in
        batches: the prices of a batch computed at once per break quantity."""
        pricelist = connection.pricelist_id.sudo().with_company(connection.company_id)
        currency = connection.currency_id
        quantities = self._break_quantities(connection)
        for batch_ids in split_every(BATCH_SIZE, products.ids):
            batch = products.browse(batch_ids)
            prices = {
                quantity: pricelist._compute_price_rule(batch, quantity, currency=currency)
                for quantity in quantities
            }
            units = connection._get_unit_codes(batch.uom_id, strict=True)
            for product in batch:
                breaks = []
                for quantity in quantities:
                    price = currency.round(prices[quantity][product.id][0])
                    if not breaks or price != breaks[-1][1]:
                        breaks.append((Decimal(str(quantity)), Decimal(str(price))))
                scheme, code = product.categ_id._get_punchout_classification()
                if not code and connection.cxml_classification_code:
                    scheme = connection.cxml_classification_domain or "UNSPSC"
                    code = connection.cxml_classification_code
                reason = None
                if not product.default_code:
                    reason = self.env._("no internal reference")
                elif not breaks[0][1]:
                    reason = self.env._("a price of zero")
                elif not units.get(product.uom_id.id):
                    reason = self.env._("no unit code for %(unit)s", unit=product.uom_id.name)
                elif not code:
                    reason = self.env._("no classification")
                yield (
                    product,
                    reason,
                    {
                        "prices": breaks,
                        "unit": units.get(product.uom_id.id),
                        "classification": (scheme, code),
                    },
                )
            # Constant memory: what this batch loaded (variants and their templates) is not kept.
            batch.product_tmpl_id.invalidate_recordset()
            batch.invalidate_recordset()

    @api.model
    def _catalog_lang(self, connection):
        """The language the catalogue's texts are written in: the connection's, else its
        buyer's, else the database user's."""
        return connection.catalog_lang or connection.partner_id.lang or self.env.lang or "en_US"

    @api.model
    def _usable(self, connection, products, skipped):
        """``(product, values)`` of the ``products`` a buyer's system accepts; the others
        appended to ``skipped`` as ``(product name, reason)``."""
        for product, reason, values in self._entries(connection, products):
            if reason:
                skipped.append((product.display_name, reason))
            else:
                yield product, values

    @api.model
    def _export(self, connection, catalog_format, out, since=None):
        """Write ``connection``'s catalogue to ``out`` (a binary file object), its texts in the
        catalogue's language.

        :returns: (number of products written, [(product name, reason)] left out)
        :raises ValueError: nothing to write, or a format unknown
        """
        connection.ensure_one()
        if catalog_format not in CATALOG_FORMATS:
            raise ValueError(f"Unknown catalogue format {catalog_format!r}.")
        lang = self._catalog_lang(connection)
        self = self.with_context(lang=lang)
        connection = connection.with_context(lang=lang)
        skipped = []
        usable = self._usable(connection, self._products(connection, since), skipped)
        if catalog_format == "bmecat":
            count = self._write_bmecat(connection, out, usable, since)
        elif catalog_format == "oci5-json":
            count = catalog.write_catalog_json(out, self._oci_items(connection, usable))
        elif catalog_format == "cif":
            count = catalog.write_cif(
                out,
                self._supplier_id(connection)[1],
                self._cxml_items(connection, usable),
                currency=connection.currency_id.name,
                loadmode="Incremental" if since else "Full",
                supplier_id_domain=self._supplier_id(connection)[0],
                language=lang,
            )
        else:
            punchout = connection.catalog_punchout_items
            items = self._cxml_items(
                connection, usable, punchout_url=punchout and self._cxml_url(connection)
            )
            count = catalog.write_cxml_index(
                out,
                [self._supplier_id(connection)],
                () if punchout else items,
                punchout_items=items if punchout else (),
                loadmode="Incremental" if since else "Full",
                lang=lang.split("_")[0],
            )
        return count, skipped

    @api.model
    def _oci_json_page(self, transaction, page, out):
        """Write page ``page`` of the DOWNLOADJSON replication ``transaction`` to ``out``: its
        frozen products still in the assortment, with today's prices.

        :returns: (number of items written, [(product name, reason)] left out)
        """
        connection = transaction.connection_id
        lang = self._catalog_lang(connection)
        self = self.with_context(lang=lang)
        connection = connection.with_context(lang=lang)
        products = self._products(connection, ids=transaction._page_product_ids(page))
        header = {
            "TRANSACTIONID": transaction.name,
            "REQUESTEDPAGE": page,
            "PAGESIZE": transaction.page_size,
            "TOTALPAGES": catalog.page_count(transaction.total_items, transaction.page_size),
            "TOTALITEMS": transaction.total_items,
        }
        if transaction.last_updated:
            header["LASTUPDATED"] = transaction.last_updated.strftime("%Y%m%d%H%M%S")
        skipped = []
        items = self._oci_items(connection, self._usable(connection, products, skipped))
        return catalog.write_catalog_json(out, items, header), skipped

    def _supplier_id(self, connection):
        """(domain, identity) the buyer's cXML system knows us by."""
        return (
            connection.cxml_supplier_domain or "NetworkID",
            connection.cxml_supplier_identity or connection.company_id.name,
        )

    def _cxml_url(self, connection):
        """Where a level-2 punchout is sent: our cXML endpoint (the item in SelectedItem)."""
        website = connection.website_id or self.env["website"].get_current_website()
        return f"{website.get_base_url().rstrip('/')}/punchout/cxml"

    def _cxml_items(self, connection, entries, punchout_url=""):
        """The catalogue entries as ``cxml.Item``s (the cXML Index and CIF), with
        ``punchout_url`` as their URL for IndexItemPunchout entries."""
        currency = connection.currency_id.name
        for product, values in entries:
            scheme, code = values["classification"]
            yield cxml.Item(
                quantity=Decimal(1),
                supplier_part_id=product.default_code,
                unit_price=cxml.Money(values["prices"][0][1], currency),
                description=product.description_sale or product.display_name,
                short_name=product.with_context(display_default_code=False).display_name[:50],
                unit_of_measure=values["unit"],
                classifications=[(scheme, code)],
                manufacturer_part_id=product.punchout_manufacturer_part or "",
                manufacturer_name=product.punchout_manufacturer_name or "",
                lead_time=product._punchout_lead_time_days(connection) or 0,
                url=punchout_url or "",
            )

    def _oci_items(self, connection, entries):
        """The catalogue entries as OCI 5.0 JSON items (the cart's fields, quantity breaks)."""
        Oci = self.env["punchout.oci"]
        for product, values in entries:
            breaks = values["prices"]
            item = Oci._item_from_product(
                connection, product, 1.0, breaks[0][1], unit_code=values["unit"]
            )
            yield catalog.catalog_item(item, price_scales=breaks if len(breaks) > 1 else ())

    def _write_bmecat(self, connection, out, entries, since):
        lang = self._catalog_lang(connection).split("_")[0]
        header = catalog.BmecatHeader(
            catalog_id=connection.code,
            catalog_version="1.0",
            language=BMECAT_LANGUAGES.get(lang, "eng"),
            currency=connection.currency_id.name,
            supplier_name=connection.company_id.name,
            supplier_id=connection.oci_vendor_number or "",
            buyer_name=connection.partner_id.commercial_partner_id.name,
            catalog_name=connection.name,
            generated=fields.Datetime.now(),
        )

        def products():
            for product, values in entries:
                yield catalog.BmecatProduct(
                    supplier_pid=product.default_code,
                    description_short=product.with_context(
                        display_default_code=False
                    ).display_name,
                    order_unit=values["unit"],
                    prices=values["prices"],
                    description_long=product.description_sale or "",
                    manufacturer_pid=product.punchout_manufacturer_part or "",
                    manufacturer_name=product.punchout_manufacturer_name or "",
                    delivery_time=product._punchout_lead_time_days(connection),
                    classification=values["classification"],
                )

        return catalog.write_bmecat(out, header, products())

    # ------------------------------------------------------------------
    # Scheduled delivery: e-mailed, or posted to the buyer's system by the send job
    # ------------------------------------------------------------------

    @api.model
    def _deliver(self, connection):
        """Make ``connection``'s catalogue in its format and send it as its schedule says,
        logged as an outbound Punchout Message holding the file. By e-mail it is queued in
        Odoo's outgoing mail; to a URL it is posted (and retried) by the send job.

        :returns: the message
        """
        connection = connection.sudo()
        # This transaction's start: what changed after it is in the next delivery.
        now = self.env.cr.now()
        since = None
        if connection.catalog_delivery_changes_only and connection.catalog_delivered_at:
            # Changes of transactions still running when the last one started committed after
            # it with an earlier date: an overlap repeats them rather than missing them.
            since = connection.catalog_delivered_at - DELIVERY_OVERLAP
        label, extension, mimetype = CATALOG_FORMATS[connection.catalog_format or "cxml-index"]
        by_mail = connection.catalog_delivery == "email"
        Message = self.env["punchout.message"].sudo()
        if since and not self._products(connection, since):
            message = Message._log(
                "catalog",
                "out",
                "mail" if by_mail else "file",
                self.env._("No product changed since %(date)s: nothing sent.", date=since),
                connection_id=connection.id,
            )
            message._set_done(http_status=0)
            connection.catalog_next_delivery = self._next_delivery(connection, now)
            return message
        out = io.BytesIO()
        try:
            count, skipped = self._export(
                connection, connection.catalog_format or "cxml-index", out, since=since or None
            )
        except ValueError as exc:
            # Nothing to send (no product, or changed), or a product the format refuses.
            message = Message._log(
                "catalog", "out", "mail" if by_mail else "file", connection_id=connection.id
            )
            message._set_error(str(exc), http_status=0)
            connection.catalog_next_delivery = self._next_delivery(connection, now)
            return message
        summary = self.env._(
            "%(label)s catalogue, %(load)s: %(count)s products%(skipped)s",
            label=label,
            load=self.env._("changes since %(date)s", date=since) if since else self.env._("full"),
            count=count,
            skipped=(
                "; "
                + self.env._(
                    "left out: %(products)s",
                    products="; ".join(f"{name} ({reason})" for name, reason in skipped),
                )
                if skipped
                else ""
            ),
        )
        message = Message._log(
            "catalog",
            "out",
            "mail" if by_mail else "file",
            summary,
            connection_id=connection.id,
            state="pending",
            next_attempt_at=now,
        )
        name = f"{connection.code}-{now:%Y%m%d-%H%M%S}.{extension}"
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "raw": out.getvalue(),
                    "mimetype": mimetype,
                    "res_model": message._name,
                    "res_id": message.id,
                }
            )
        )
        if by_mail:
            self._mail_catalog(connection, message, attachment, label)
        else:
            message._send()
        connection.write(
            {
                "catalog_delivered_at": now,
                "catalog_next_delivery": self._next_delivery(connection, now),
            }
        )
        connection._message_log(
            body=self.env._("Catalogue delivered: %(summary)s", summary=summary)
        )
        return message

    @api.model
    def _next_delivery(self, connection, now):
        return now + relativedelta(**{connection.catalog_delivery_interval or "weeks": 1})

    @api.model
    def _mail_catalog(self, connection, message, attachment, label):
        company = connection.company_id
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": self.env._(
                        "%(company)s: %(label)s catalogue for %(buyer)s",
                        company=company.name,
                        label=label,
                        buyer=connection.partner_id.commercial_partner_id.name,
                    ),
                    "body_html": self.env._(
                        "<p>Our catalogue for your purchasing system is attached (%(name)s).</p>",
                        name=attachment.name,
                    ),
                    "email_from": company.email_formatted or self.env.user.email_formatted,
                    "email_to": email_normalize(connection.catalog_delivery_email),
                    "attachment_ids": [(4, attachment.id)],
                    "auto_delete": False,
                }
            )
        )
        message._set_done(
            http_status=0,
            error=False,
            response_payload=self.env._(
                "Queued in outgoing e-mail %(mail)s to %(to)s.", mail=mail.id, to=mail.email_to
            ),
        )
