import dataclasses
import hashlib
from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models

from ..const import (
    CONNECTION_THROTTLE_MAX_FAILURES,
    DUMMY_SECRET_HASH,
    REDACTED,
    SECRET_CRYPT_CONTEXT,
    THROTTLE_WINDOW_MINUTES,
)
from ..protocol import browser, cxml
from ..protocol.errors import (
    AuthenticationFailed,
    Forbidden,
    MalformedDocument,
    TooManyRequests,
    UnsupportedRequest,
)


class PunchoutCxml(models.AbstractModel):
    """cXML from the buyer's request to our confirmation, read top to bottom: who sent it,
    the request answered (profile, punchout setup, purchase order), the cart returned through
    the browser, the confirmation sent back. Each method takes the connection (or session) it
    works for; ``punchout.message`` stores each inbound document and calls
    ``_handle_request``."""

    _name = "punchout.cxml"
    _description = "Punchout: cXML"

    # ------------------------------------------------------------------
    # Who sent it: the buyer's connection, its secret and throttle
    # ------------------------------------------------------------------

    @api.model
    def _candidates(self, envelope):
        """The cXML connections, active or not, of the buyer named by From or Sender."""
        header = envelope.header
        credentials = header.from_credentials + header.sender_credentials
        return (
            self.env["punchout.connection"]
            .sudo()
            .with_context(active_test=False)
            .search([("protocol", "=", "cxml"), ("cxml_buyer_identity", "!=", False)])
            .filtered(
                lambda connection: any(
                    credential.matches(
                        connection.cxml_buyer_identity, connection.cxml_buyer_domain or None
                    )
                    for credential in credentials
                )
            )
        )

    @api.model
    def _find_connection(self, envelope):
        """The connection a (logged) document names: its deploymentMode picks the buyer's test
        or production connection. No authentication: see _authenticate."""
        connections = self._candidates(envelope)
        test_document = envelope.deployment_mode == "test"
        return connections.filtered(lambda c: c.test_mode == test_document)[:1] or connections[:1]

    @api.model
    def _authenticate(self, envelope):
        """The active connection of a request whose SharedSecret is right.

        Unknown sender, wrong secret and inactive connection get the same answer, after the
        same work, so that nobody learns which identities exist.

        :raises AuthenticationFailed: (401) not authenticated
        :raises TooManyRequests: (429) too many failed requests named this connection lately
        :raises Forbidden: (403) a test document to a production connection or the reverse
        """
        connection = self._find_connection(envelope)
        if connection and self._is_throttled(connection):
            raise TooManyRequests(
                self.env._("Too many failed requests for this sender. Try again later.")
            )
        valid = self._verify_secret(connection, envelope.header.shared_secret)
        if not (valid and connection.active):
            raise AuthenticationFailed(self.env._("Unknown sender or wrong SharedSecret."))
        if connection.test_mode != (envelope.deployment_mode == "test"):
            if connection.test_mode:
                connection_kind = self.env._("test")
            else:
                connection_kind = self.env._("production")
            raise Forbidden(
                self.env._(
                    "A document with deploymentMode %(mode)s was sent to the buyer's "
                    "%(connection_kind)s connection: check the deploymentMode.",
                    mode=envelope.deployment_mode,
                    connection_kind=connection_kind,
                )
            )
        return connection

    def _verify_secret(self, connection, shared_secret):
        """Whether ``shared_secret`` is this connection's (a dummy check when there is none)."""
        secret_hash = connection.sudo().cxml_shared_secret_hash if connection else False
        try:
            valid, new_hash = SECRET_CRYPT_CONTEXT.verify_and_update(
                shared_secret or "", secret_hash or DUMMY_SECRET_HASH
            )
        except ValueError:
            return False
        valid = bool(valid and secret_hash and shared_secret)
        if valid and new_hash:
            connection.sudo().cxml_shared_secret_hash = new_hash
        return valid

    def _check_secret(self, connection, shared_secret):
        connection.ensure_one()
        if not self._verify_secret(connection, shared_secret):
            raise AuthenticationFailed(self.env._("Unknown sender or wrong SharedSecret."))

    def _is_throttled(self, connection):
        connection.ensure_one()
        since = fields.Datetime.now() - timedelta(minutes=THROTTLE_WINDOW_MINUTES)
        failures = (
            connection.env["punchout.message"]
            .sudo()
            .search_count(
                [
                    ("connection_id", "=", connection.id),
                    ("auth_failed", "=", True),
                    ("create_date", ">=", since),
                ]
            )
        )
        return failures >= CONNECTION_THROTTLE_MAX_FAILURES

    def _our_credential(self, connection):
        connection.ensure_one()
        return cxml.Credential(
            domain=connection.cxml_supplier_domain or "NetworkID",
            identity=connection.cxml_supplier_identity or connection.company_id.name,
        )

    def _buyer_credential(self, connection):
        connection.ensure_one()
        return cxml.Credential(
            domain=connection.cxml_buyer_domain or "NetworkID",
            identity=connection.cxml_buyer_identity,
        )

    def _header(self, connection, with_secret=False):
        """The header of our documents: From/Sender us, To the buyer."""
        connection.ensure_one()
        sender = self._our_credential(connection)
        if with_secret:
            sender.shared_secret = connection.sudo().cxml_outbound_secret or None
        return cxml.Header(
            from_credentials=[self._our_credential(connection)],
            to_credentials=[self._buyer_credential(connection)],
            sender_credentials=[sender],
            user_agent=cxml.DEFAULT_USER_AGENT,
        )

    # ------------------------------------------------------------------
    # Requests: profile, punchout setup, purchase order
    # ------------------------------------------------------------------

    @api.model
    def _handle_request(self, envelope, body, message, attachments=()):
        """Answer one cXML request (``envelope``, read from ``body``, already stored as
        ``message``): the Response bytes.

        :raises PunchoutProtocolError: answered as a cXML Status by the caller
        """
        connection = self._authenticate(envelope)
        message.write({"connection_id": connection.id, "company_id": connection.company_id.id})
        message._cxml_keep_document(body)
        logged = None
        if envelope.request_name == "ProfileRequest":
            message.kind = "cxml_profile"
            response = self._profile_response(connection)
        elif envelope.request_name == "PunchOutSetupRequest":
            message.kind = "cxml_setup"
            session, token = self._setup(connection, envelope)
            message.write({"session_id": session.id, "order_id": session.order_id.id})
            response = cxml.build_punchout_setup_response(self._start_url(connection, token))
            # The start URL logs its user in: the log keeps it without its token.
            logged = response.decode().replace(token, REDACTED)
        else:
            message.kind = "cxml_order"
            response = self._take_order(connection, envelope, message, attachments)
        message._set_done(response_payload=logged or response.decode())
        return response

    def _profile_response(self, connection):
        connection.ensure_one()
        url = f"{connection.website_id.get_base_url().rstrip('/')}/punchout/cxml"
        return cxml.build_profile_response(
            [(name, url) for name in cxml.SUPPORTED_REQUESTS if name != "ProfileRequest"]
        )

    def _take_order(self, connection, envelope, message, attachments=()):
        """OrderRequest: once per payloadID; replays get the first answer."""
        connection.ensure_one()
        message.dedup_key = f"{connection.id}:{envelope.payload_id}"
        # Taking the key may wait for a concurrent copy of this document, then fail: the
        # caller answers with that copy's response.
        connection.env.flush_all()
        order, notes = connection._punchout_receive_order(
            envelope.request, message, envelope.payload_id, attachments
        )
        text = self.env._("Order %(order)s confirmed.", order=order.name)
        if notes:
            text += " " + self.env._("%(count)s point(s) to review.", count=len(notes))
        return cxml.build_response(200, "OK", text)

    def _setup(self, connection, envelope):
        """PunchOutSetupRequest: open a session for the buyer's user, return its start URL."""
        connection.ensure_one()
        setup = envelope.request
        if setup.operation == "source":
            raise UnsupportedRequest(
                self.env._("The 'source' punchout operation is not supported."), status=406
            )
        if not setup.browser_form_post_url:
            raise MalformedDocument(
                self.env._("A BrowserFormPost URL is needed to return the cart.")
            )
        connection._check_return_url(setup.browser_form_post_url)
        extrinsics = {key.lower(): value for key, value in setup.extrinsics.items()}
        email = extrinsics.get("useremail") or (setup.contact.email if setup.contact else "")
        name = " ".join(
            part for part in (extrinsics.get("firstname"), extrinsics.get("lastname")) if part
        ) or (setup.contact.name if setup.contact else "")
        user = connection._get_end_user(email, name=name or None)
        session, token = connection._open_session(
            "cxml",
            user,
            setup.operation,
            return_url=setup.browser_form_post_url,
            buyer_cookie=setup.buyer_cookie,
            end_user_ref=extrinsics.get("uniquename") or email or False,
            cxml_setup_payload_id=envelope.payload_id,
            cxml_extrinsics=setup.extrinsics,
            cxml_ship_to=dataclasses.asdict(setup.ship_to) if setup.ship_to else False,
        )
        if setup.operation in ("edit", "inspect"):
            self._rebuild_cart(session, setup.items)
        elif setup.selected_item:
            # A level-2 punchout (an IndexItemPunchout of our catalogue): open that item's page.
            session.landing_product_id = self._assortment_product(
                connection, setup.selected_item.supplier_part_id
            )
        return session, token

    def _assortment_product(self, connection, supplier_part_id):
        """The product a SupplierPartID names, if this buyer's shop has it (else empty)."""
        product = self._find_product(connection, supplier_part_id)
        if product and product.product_tmpl_id.filtered_domain(
            connection._get_shop_product_domain()
        ):
            return product
        return connection.env["product.product"]

    def _start_url(self, connection, token):
        connection.ensure_one()
        return f"{connection.website_id.get_base_url().rstrip('/')}/punchout/start/{token}"

    # ------------------------------------------------------------------
    # The cart: our lines as ItemIn, the buyer's lines back for edit and inspect
    # ------------------------------------------------------------------

    def _classification(self, connection, product):
        """(domain, code) pairs for a product: its category's, else the connection default."""
        connection.ensure_one()
        scheme, code = product.categ_id._get_punchout_classification()
        if code:
            return [(scheme, code)]
        if connection.cxml_classification_code:
            return [
                (
                    connection.cxml_classification_domain or "UNSPSC",
                    connection.cxml_classification_code,
                )
            ]
        return [("Category", product.categ_id.name or "All")]

    def _item_from_order_line(self, connection, line, line_number):
        connection.ensure_one()
        product = line.product_id.sudo()
        currency = line.order_id.currency_id
        net_price = currency.round(line.price_unit * (1.0 - (line.discount or 0.0) / 100.0))
        name_short = line.name_short or product.display_name
        return cxml.Item(
            quantity=Decimal(str(line.product_uom_qty)),
            line_number=line_number,
            supplier_part_id=product.default_code or str(product.id),
            supplier_part_auxiliary_id=connection.env["sale.order"]._punchout_line_reference(line),
            unit_price=cxml.Money(Decimal(str(net_price)), currency.name),
            description=line.name or name_short,
            short_name=name_short[:50],
            unit_of_measure=connection._get_unit_code(line.product_uom),
            classifications=self._classification(connection, product),
            manufacturer_part_id=product.punchout_manufacturer_part or "",
            manufacturer_name=product.punchout_manufacturer_name or "",
            lead_time=product._punchout_lead_time_days(
                connection,
                line.product_uom._compute_quantity(line.product_uom_qty, product.uom_id),
            ),
        )

    def _find_product(self, connection, supplier_part_id):
        """The product a SupplierPartID names: our internal reference, else our product id."""
        connection.ensure_one()
        found = self._find_products(connection, [supplier_part_id])
        return found.get(supplier_part_id) or connection.env["product.product"]

    def _find_products(self, connection, supplier_part_ids):
        """{SupplierPartID: product} for those that name one (our internal reference, else our
        product id), in two queries whatever their number."""
        connection.ensure_one()
        Product = connection.env["product.product"].sudo()
        codes = {part for part in supplier_part_ids if part}
        found = {}
        for product in Product.search(
            [("default_code", "in", list(codes)), ("sale_ok", "=", True)]
        ):
            found.setdefault(product.default_code, product)
        ids = {int(part) for part in codes - found.keys() if part.isdigit() and len(part) < 10}
        for product in Product.browse(ids).exists():
            found[str(product.id)] = product
        return found

    def _cart_message(self, session, empty=False):
        """The PunchOutOrderMessage of this cart (no lines when ``empty``: cancelled)."""
        session.ensure_one()
        connection = session.connection_id
        order = session.order_id.sudo()
        currency = order.currency_id.name
        lines = session.env["sale.order.line"]
        if not empty:
            lines = order.order_line.filtered(
                lambda line: not line.display_type and line.product_id
            )
        items = [
            self._item_from_order_line(connection, line, number)
            for number, line in enumerate(lines, 1)
        ]
        # Hierarchies: the combo line "composite" (its prices are on its items), its items
        # under its line number.
        parents = connection._combo_parents(lines)
        number_of = {line: number for number, line in enumerate(lines, 1)}
        for line, item in zip(lines, items, strict=True):
            if line in parents:
                item.item_type, item.parent_line_number = "item", number_of[parents[line]]
            elif line in parents.values():
                item.item_type, item.composite_item_type = "composite", "itemLevel"
        if empty:
            total = cxml.Money(Decimal(0), currency)
            tax = None
        else:
            total = cxml.Money(Decimal(str(order.amount_untaxed)), currency)
            tax = cxml.Money(Decimal(str(order.amount_tax)), currency)
        operation = (
            "inspect" if session.operation == "inspect" else connection.cxml_operation_allowed
        )
        message = cxml.PunchOutOrderMessage(
            buyer_cookie=session.buyer_cookie or "",
            operation_allowed=operation,
            total=total,
            tax=tax,
            items=items,
        )
        return cxml.build_punchout_order_message(
            self._header(connection),
            message,
            deployment_mode="test" if connection.test_mode else "production",
            in_reply_to=session.cxml_setup_payload_id or None,
        )

    def _render(self, session, document):
        connection = session.connection_id
        value = cxml.encode_browser_form_value(document, connection.cxml_form_encoding)
        return browser.render_return_page(
            session.return_url,
            [(connection.cxml_form_field_name or "cxml-urlencoded", value)],
            target=session.return_target or "_top",
            keep_query=True,
        )

    def _transfer(self, session):
        session.ensure_one()
        session._check_open()
        document = self._cart_message(session)
        page = self._render(session, document)
        if session.operation != "inspect":
            session._mark_transferred()
        else:
            session.write({"state": "transferred", "transferred_at": fields.Datetime.now()})
        session._flush_as_superuser()
        return page, document

    def _cancel(self, session):
        session.ensure_one()
        session._check_open()
        document = self._cart_message(session, empty=True)
        page = self._render(session, document)
        session.order_id.sudo()._action_cancel()
        session.write({"state": "cancelled"})
        session._flush_as_superuser()
        return page, document

    def _rebuild_cart(self, session, items):
        """edit/inspect: the cart again, from the lines the buyer's system sent back.

        Our SupplierPartAuxiliaryID names the original line; the SupplierPartID is the fallback.
        Prices come from the buyer's pricelist as of today. What the shop would not let the
        buyer add (archived, unpublished, not saleable, outside the assortment, no positive
        quantity) is left out, with a note on the order.
        """
        session.ensure_one()
        order = session.order_id.sudo()
        connection = session.connection_id
        Line = session.env["sale.order.line"].sudo()
        for item in items:
            product = session.env["product.product"]
            reference = item.supplier_part_auxiliary_id or ""
            _name, _sep, line_ref = reference.rpartition("/")
            if line_ref.isdigit():
                original = Line.browse(int(line_ref)).exists()
                if original.order_id.punchout_connection_id == connection:
                    product = original.product_id
            if not product:
                product = self._find_product(connection, item.supplier_part_id)
            if not product:
                order.message_post(
                    body=session.env._(
                        "Item %(part)s of the buyer's cart is unknown and was left out.",
                        part=item.supplier_part_id,
                    )
                )
                continue
            if not connection._filter_orderable(product) or item.quantity <= 0:
                order.message_post(
                    body=session.env._(
                        "Item %(part)s of the buyer's cart cannot be ordered (any more) and was "
                        "left out.",
                        part=item.supplier_part_id,
                    )
                )
                continue
            Line.create(
                {
                    "order_id": order.id,
                    "product_id": product.id,
                    "product_uom_qty": float(item.quantity),
                }
            )

    # ------------------------------------------------------------------
    # Order confirmations
    # ------------------------------------------------------------------

    def _queue_confirmation(self, connection, order, purchase_order=None, reason=""):
        """The next version of ``order``'s ConfirmationRequest, stored to send (once) after
        this transaction; nothing when it would say what the last version said.

        The first version answers the buyer's OrderRequest (``purchase_order``): ``accept``
        when we take it as it is, ``detail`` when lines differ or are not all available.
        Later versions (operation ``update``, the same confirmID, version + 1) follow our
        changes of dates and quantities and the buyer's own update; a cancelled order is
        rejected as a whole with ``reason`` in its Comments."""
        connection.ensure_one()
        if connection.protocol == "s4":
            # S/4HANA's own message, with the same statuses and versions.
            return self.env["punchout.s4"]._queue_confirmation(
                connection, order, purchase_order, reason
            )
        Message = connection.env["punchout.message"]
        if not connection.cxml_confirmation_url or not order.punchout_po_payload_id:
            return Message
        confirmation = self._confirmation(connection, order, purchase_order, reason)
        digest = hashlib.sha256(repr(confirmation).encode()).hexdigest()
        if digest == order.punchout_confirmation_digest:
            return Message
        version = order.punchout_confirmation_version + 1
        payload_id = cxml.make_payload_id()
        confirmation = dataclasses.replace(
            confirmation,
            version=version,
            operation="new" if version == 1 else "update",
            previous_payload_id=order.punchout_confirmation_payload_id or "",
        )
        document = cxml.build_confirmation_request(
            self._header(connection, with_secret=True),
            confirmation,
            deployment_mode="test" if connection.test_mode else "production",
            payload_id=payload_id,
        )
        order.sudo().write(
            {
                "punchout_confirmation_version": version,
                "punchout_confirmation_payload_id": payload_id,
                "punchout_confirmation_digest": digest,
            }
        )
        message = Message._log(
            "cxml_confirmation",
            "out",
            "cxml",
            cxml.redact_secrets(document),
            connection_id=connection.id,
            order_id=order.id,
            session_id=order.punchout_session_id.id,
            state="pending",
            dedup_key=f"{connection.id}:confirmation:{order.id}:{version}",
            next_attempt_at=fields.Datetime.now(),
        )
        # Sent by the cron worker once this transaction is committed: the buyer's system gets
        # its answer to the order first, whatever the state of its confirmation endpoint.
        connection.env.ref("oci_punchout.ir_cron_punchout_send")._trigger()
        return message

    def _confirmation(self, connection, order, purchase_order, reason):
        """What we confirm of ``order`` now, without its version (compared with the last)."""
        common = {
            "order_id": order.punchout_po_number,
            "order_payload_id": order.punchout_po_payload_id,
            "order_date": order.punchout_po_date,
            "confirm_id": order.name,
        }
        if order.state == "cancel":
            return cxml.ConfirmationRequest(
                **common,
                confirm_type="reject",
                comments=reason or self.env._("The order was cancelled by the supplier."),
            )
        # Only lines of the buyer's order: a line we added has no PO line to confirm.
        lines = order.order_line.filtered(
            lambda line: line.product_id and not line.display_type and line.punchout_po_line_number
        )
        codes = connection._get_unit_codes(lines.product_uom)
        items = [self._confirmation_item(connection, line, codes) for line in lines]
        accepted = (
            purchase_order is not None
            and not order.punchout_confirmation_version
            and _ordered(purchase_order) == _confirmed(order, lines)
            and not any(item.backordered_quantity or item.rejected_quantity for item in items)
        )
        if not accepted:
            items = [dataclasses.replace(item, status="detail") for item in items]
        return cxml.ConfirmationRequest(
            **common,
            confirm_type="accept" if accepted else "detail",
            total=cxml.Money(Decimal(str(order.amount_total)), order.currency_id.name),
            items=items,
        )

    def _confirmation_item(self, connection, line, unit_codes):
        """One PO line: its ordered quantity, what we confirm of it (with the price and the
        dates the buyer can expect), what comes later and what we no longer deliver."""
        currency = line.order_id.currency_id
        confirmed = Decimal(str(line.product_uom_qty))
        ordered = Decimal(str(line.punchout_ordered_qty or line.product_uom_qty))
        backordered, backorder_date = line._punchout_backorder()
        backordered = min(Decimal(str(backordered)), confirmed)
        return cxml.ConfirmationItem(
            line_number=line.punchout_po_line_number,
            quantity=ordered,
            unit_of_measure=unit_codes[line.product_uom.id],
            status_quantity=confirmed - backordered,
            unit_price=cxml.Money(
                Decimal(str(currency.round(line.price_reduce_taxexcl))), currency.name
            ),
            # When the goods leave and arrive: the order's commitment date, else the line's
            # customer lead time from the order date (Odoo's expected date).
            shipment_date=line._punchout_shipment_date(),
            delivery_date=line.order_id.commitment_date or line._expected_date(),
            backordered_quantity=backordered or None,
            backorder_delivery_date=backorder_date if backordered else None,
            rejected_quantity=max(ordered - confirmed, Decimal(0)) or None,
        )


def _ordered(purchase_order):
    return sorted(
        (item.line_number, float(item.quantity), float(item.unit_price.amount))
        for item in purchase_order.items
        if item.unit_price
    )


def _confirmed(order, lines):
    return sorted(
        (
            line.punchout_po_line_number,
            line.product_uom_qty,
            order.currency_id.round(line.price_reduce_taxexcl),
        )
        for line in lines
    )
