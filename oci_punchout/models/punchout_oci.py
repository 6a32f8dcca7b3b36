import hmac
import io
import secrets
from urllib.parse import urlencode

from odoo import api, models
from odoo.osv import expression

from ..protocol import catalog, oci
from ..protocol.errors import AuthenticationFailed, PunchoutProtocolError

# Connections whose buyers punch in with OCI (S/4HANA's send their orders over SOAP).
OCI_PROTOCOLS = ("oci", "s4")
# A hash of nothing, per hashing setting, verified when there is no password to check, so that
# unknown user names cost as much time as known ones.
_DUMMY_HASHES = {}


class PunchoutOci(models.AbstractModel):
    """SAP OCI from the punch-in to the returned cart, read top to bottom: the connection a
    login names and its checks, the FUNCTION pages answered at once, the cart's NEW_ITEM
    fields. Each method takes the connection (or session) it works for."""

    _name = "punchout.oci"
    _description = "Punchout: SAP OCI"

    # ------------------------------------------------------------------
    # Punch-in
    # ------------------------------------------------------------------

    @api.model
    def _find_connection(self, code, params):
        """Find the active OCI connection for a punch-in: by its code, else by user name."""
        Connection = self.env["punchout.connection"].sudo().with_context(active_test=False)
        if code:
            connection = Connection.search(
                [("code", "=", code), ("protocol", "in", OCI_PROTOCOLS)], limit=1
            )
        else:
            usernames = {
                value if isinstance(value, str) else (value[0] if value else "")
                for key, value in params.items()
                if key.upper() == "USERNAME"
            }
            connection = Connection.search(
                [("protocol", "in", OCI_PROTOCOLS), ("oci_username", "in", list(usernames))]
            )
            if len(connection) > 1:
                raise PunchoutProtocolError(
                    self.env._(
                        "Several catalogues use this user name: "
                        "use the catalogue URL with its code."
                    ),
                    status=400,
                )
        if not connection:
            self._verify_password(None, None)
            raise AuthenticationFailed(self.env._("Unknown catalogue or wrong credentials."))
        return connection

    def _parse_punch_in(self, connection, params):
        connection.ensure_one()
        return oci.parse_punch_in(
            params,
            username_param=connection.oci_username_param or "USERNAME",
            password_param=connection.oci_password_param or "PASSWORD",
            end_user_param=connection.oci_end_user_param or None,
        )

    def _check_credentials(self, connection, punch_in):
        """Check the punch-in's user name and password in constant time."""
        connection.ensure_one()
        connection_sudo = connection.sudo()
        expected_username = (connection_sudo.oci_username or "").encode()
        username_ok = hmac.compare_digest(expected_username, (punch_in.username or "").encode())
        password_ok = self._verify_password(punch_in.password, connection_sudo.oci_password_hash)
        if not (username_ok and password_ok and expected_username):
            raise AuthenticationFailed(self.env._("Unknown catalogue or wrong credentials."))

    @api.model
    def _verify_password(self, password, password_hash):
        """Whether ``password`` matches ``password_hash``; always the cost of one check."""
        crypt_context = self.env["res.users"]._crypt_context()
        if not (password and password_hash):
            key = crypt_context.to_string()
            if key not in _DUMMY_HASHES:
                _DUMMY_HASHES[key] = crypt_context.hash(secrets.token_urlsafe(32))
            password, password_hash, wanted = password or "", _DUMMY_HASHES[key], False
        else:
            wanted = True
        try:
            return crypt_context.verify(password, password_hash) and wanted
        except ValueError:
            return False

    def _authenticate(self, connection, punch_in):
        """Every check of an OCI punch-in before anything is created: the credentials first,
        so that only the buyer learns whether its catalogue is active."""
        connection.ensure_one()
        self._check_credentials(connection, punch_in)
        if not connection.active:
            raise PunchoutProtocolError(
                self.env._("This punchout catalogue is not active. Please contact your supplier."),
                status=403,
            )
        if punch_in.function not in oci.SERVER_FUNCTIONS:
            connection._check_return_url(punch_in.hook_url)

    def _session_values(self, punch_in):
        return {
            "return_url": punch_in.hook_url,
            "return_target": punch_in.return_target,
            "charset": punch_in.charset,
            "echo_params": punch_in.echo_params,
            "end_user_ref": punch_in.end_user or False,
        }

    def _landing_url(self, connection, punch_in):
        """Where the shopping session starts: the product (DETAIL, DETAILADD), a search
        (SOURCING) or the shop."""
        if punch_in.function in ("DETAIL", "DETAILADD"):
            product = self._find_product(connection, punch_in.product_id)
            if product:
                return product.website_url
        if punch_in.function == "SOURCING" and punch_in.search_string:
            return "/shop?" + urlencode({"search": punch_in.search_string})
        return "/shop"

    # ------------------------------------------------------------------
    # FUNCTION pages answered at once, and the products they show
    # ------------------------------------------------------------------

    def _function_page(self, connection, punch_in):
        """FUNCTION=VALIDATE or BACKGROUND_SEARCH: ``(page, message kind, product count)``."""
        if punch_in.function == "VALIDATE":
            page, count = self._validate_page(connection, punch_in)
            return page, "oci_validate", count
        page, count = self._background_search_page(connection, punch_in)
        return page, "oci_search", count

    def _quantity_check(self, connection, punch_in):
        """FUNCTION=QUANTITYCHECK (OCI 5.0, server to server): ``(HTTP status, JSON body)``,
        what this buyer can have of the product (within its assortment) and in how many days;
        404 for a product it cannot order."""
        product = self._find_product(connection, punch_in.product_id)
        if not product:
            error = self.env._("Unknown product, or not in this catalogue's assortment.")
            return 404, oci.server_call_error(error)
        available, lead_days = product._punchout_available_quantity(
            connection, float(punch_in.quantity)
        )
        return 200, oci.quantity_check_answer(available, lead_days)

    def _download_json(self, connection, punch_in):
        """FUNCTION=DOWNLOADJSON (OCI 5.0 catalogue replication, server to server): ``(HTTP
        status, JSON body, products left out)``. The first call (no TRANSACTIONID) freezes the
        set of products to page through; later pages are asked with its TRANSACTIONID.

        :raises MalformedDocument: bad paging parameters
        """
        request = catalog.parse_download_request(punch_in.params)
        Transaction = self.env["punchout.catalog.transaction"].sudo()
        if request.transaction_id:
            transaction = Transaction._find(connection, request.transaction_id)
            if not transaction:
                error = self.env._(
                    "Unknown or expired TRANSACTIONID: start the replication again without one."
                )
                return 404, oci.server_call_error(error), []
        else:
            transaction = Transaction._start(
                connection, request.page_size, last_updated=request.last_updated
            )
        pages = catalog.page_count(transaction.total_items, transaction.page_size)
        if request.page > pages:
            error = self.env._(
                "REQUESTEDPAGE %(page)s is beyond the last page, %(pages)s.",
                page=request.page,
                pages=pages,
            )
            return 404, oci.server_call_error(error), []
        out = io.BytesIO()
        _count, skipped = self.env["punchout.catalog"]._oci_json_page(
            transaction, request.page, out
        )
        return 200, out.getvalue(), skipped

    def _find_product(self, connection, product_ref):
        """The product a PRODUCTID (our EXT_PRODUCT_ID) names, within the assortment."""
        connection.ensure_one()
        if not product_ref or not str(product_ref).isdigit():
            return connection.env["product.product"]
        product = connection.env["product.product"].sudo().browse(int(product_ref)).exists()
        if not product or not product.active:
            return connection.env["product.product"]
        allowed = product.product_tmpl_id.filtered_domain(connection._get_shop_product_domain())
        return product if allowed else connection.env["product.product"]

    def _search_products(self, connection, search, limit=100):
        connection.ensure_one()
        domain = connection._get_shop_product_domain()
        if search:
            domain = expression.AND(
                [
                    domain,
                    [
                        "|",
                        "|",
                        ("name", "ilike", search),
                        ("default_code", "ilike", search),
                        ("description_sale", "ilike", search),
                    ],
                ]
            )
        templates = connection.env["product.template"].sudo().search(domain, limit=limit)
        return templates.product_variant_ids

    def _price(self, connection, product, quantity):
        connection.ensure_one()
        pricelist = connection.pricelist_id.with_company(connection.company_id)
        return pricelist._get_product_price(
            product, quantity or 1.0, currency=connection.currency_id
        )

    def _validate_page(self, connection, punch_in):
        """FUNCTION=VALIDATE: the product's current data, auto-submitted at once."""
        connection.ensure_one()
        product = self._find_product(connection, punch_in.product_id)
        items = []
        if product:
            quantity = float(punch_in.quantity or 1)
            items.append(
                self._item_from_product(
                    connection, product, quantity, self._price(connection, product, quantity)
                )
            )
        return self._return_page(connection, punch_in, items), len(items)

    def _background_search_page(self, connection, punch_in):
        """FUNCTION=BACKGROUND_SEARCH: every match as one OCI form, not auto-submitted."""
        connection.ensure_one()
        items = [
            self._item_from_product(
                connection, product, 1.0, self._price(connection, product, 1.0)
            )
            for product in self._search_products(connection, punch_in.search_string)
        ]
        return self._return_page(connection, punch_in, items, auto_submit=False), len(items)

    def _return_page(self, connection, punch_in, items, auto_submit=True):
        connection.ensure_one()
        return oci.render_return_page(
            punch_in.hook_url,
            self._build_fields(connection, items, punch_in.charset),
            target=punch_in.return_target,
            charset=punch_in.charset,
            echo_params=punch_in.echo_params,
            auto_submit=auto_submit,
        )

    # ------------------------------------------------------------------
    # The cart
    # ------------------------------------------------------------------

    def _item_from_product(
        self, connection, product, quantity, price, uom=None, description=None, unit_code=None
    ):
        """An OciItem describing ``product`` as this buyer's system wants it (``unit_code``:
        the code of ``uom`` when the caller looked it up already)."""
        connection.ensure_one()
        product = product.sudo()
        uom = uom or product.uom_id
        name = description or product.with_context(display_default_code=False).display_name
        category = product.categ_id
        scheme, code = category._get_punchout_classification()
        price_per_unit, price_unit = oci.choose_price_unit(price)
        item = oci.OciItem(
            description=name,
            longtext=product.description_sale or "",
            quantity=quantity,
            unit=unit_code or connection._get_unit_code(uom),
            price=price_per_unit,
            price_unit=price_unit,
            currency=connection.currency_id.name,
            leadtime=product._punchout_lead_time_days(
                connection, uom._compute_quantity(float(quantity), product.uom_id)
            ),
            vendor=connection.oci_vendor_number or "",
            vendormat=product.default_code or "",
            manufactcode=product.punchout_manufacturer_code or "",
            manufactmat=product.punchout_manufacturer_part or "",
            service=product.type == "service",
            ext_product_id=str(product.id),
            ext_schema_type=scheme or "",
            ext_category_id=code or "",
            ext_category=(category.name or "") if code else "",
        )
        if connection.oci_matgroup_source == "classification":
            item.matgroup = code or ""
        elif connection.oci_matgroup_source == "category":
            item.matgroup = category.name or ""
        for index in range(1, 6):
            field = connection[f"oci_cust_field{index}_id"]
            if field:
                setattr(item, f"cust_field{index}", _field_text(product, field.name))
        return item

    def _item_from_order_line(self, connection, line, unit_code=None):
        connection.ensure_one()
        net_price = line.price_unit * (1.0 - (line.discount or 0.0) / 100.0)
        item = self._item_from_product(
            connection,
            line.product_id,
            line.product_uom_qty,
            net_price,
            uom=line.product_uom,
            description=line.name_short or line.product_id.display_name,
            unit_code=unit_code,
        )
        item.currency = line.order_id.currency_id.name
        item.longtext = line.name or ""
        item.ext_quote_id = line.order_id.name
        item.ext_quote_item = str(line.id)
        return item

    def _build_fields(self, connection, items, charset=None):
        """The NEW_ITEM fields of ``items``, their texts transliterated to what the buyer's
        ``charset`` holds (the euro sign as EUR, not '?')."""
        connection.ensure_one()
        return oci.build_cart_fields(
            items,
            index_base=int(connection.oci_index_base),
            send_empty=connection.oci_send_empty_fields,
            charset=charset,
        )

    def _transfer(self, session):
        """Return the cart: the OCI page, auto-submitted to the buyer's HOOK_URL.

        The cart becomes a quotation sent to the buyer, valid for the connection's validity.
        """
        session.ensure_one()
        session._check_open()
        connection = session.connection_id
        order = session.order_id.sudo()
        lines = order.order_line.filtered(lambda line: not line.display_type and line.product_id)
        # The unit codes of every line at once (one query, not one per line).
        codes = connection._get_unit_codes(lines.product_uom)
        items = [
            self._item_from_order_line(connection, line, unit_code=codes[line.product_uom.id])
            for line in lines
        ]
        # OCI 5.0 hierarchies: the combo line "R", its items "F" under the combo's index.
        parents = connection._combo_parents(lines)
        index_base = int(connection.oci_index_base)
        index_of = {line: index_base + position for position, line in enumerate(lines)}
        for line, item in zip(lines, items, strict=True):
            if line in parents:
                item.item_type, item.parent_id = "F", str(index_of[parents[line]])
            elif line in parents.values():
                item.item_type = "R"
        fields_pairs = self._build_fields(connection, items, session.charset)
        page = self._render(session, fields_pairs)
        session._mark_transferred()
        session._flush_as_superuser()
        return page, fields_pairs

    def _cancel(self, session):
        """Return an empty cart, how OCI says the user cancelled: (page, logged fields)."""
        session.ensure_one()
        session._check_open()
        page = self._render(session, [])
        session.order_id.sudo()._action_cancel()
        session.write({"state": "cancelled"})
        session._flush_as_superuser()
        return page, []

    def _render(self, session, fields_pairs):
        return oci.render_return_page(
            session.return_url,
            fields_pairs,
            target=session.return_target or "_top",
            charset=session.charset or "utf-8",
            echo_params=session.echo_params or {},
        )


def _field_text(record, field_name):
    """A product field's value as OCI text."""
    value = record[field_name]
    if isinstance(value, models.BaseModel):
        return value.display_name or ""
    if value is False or value is None:
        return ""
    return str(value)
