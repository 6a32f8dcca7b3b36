"""Who may send cXML: shared secrets, unknown senders, deployment modes, throttling."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import assert_valid_cxml
from .cxml_common import CxmlCase, buyer_header


@tagged("post_install", "-at_install")
class TestCxmlAuthentication(CxmlCase):
    def post_raw(self, body):
        response = self.url_open(
            "/punchout/cxml", data=body, headers={"Content-Type": "text/xml"}, timeout=60
        )
        root = assert_valid_cxml(response.content)
        return response.status_code, self.status(root)

    def test_failures_answer_alike_and_are_throttled_per_address(self):
        answers = set()
        for header in (
            buyer_header(identity="stranger"),
            buyer_header(secret="nope"),
            buyer_header(secret=None),
        ):
            answers.add(self.post_raw(self.setup_request(header=header)))
        self.cxml_connection.active = False
        answers.add(self.post_raw(self.setup_request()))
        self.assertEqual(answers, {(200, (401, "Unknown sender or wrong SharedSecret."))})
        self.cxml_connection.active = True
        for _attempt in range(6):
            self.post_raw(self.setup_request(header=buyer_header(secret="guess")))
        # Even the right secret is refused while the address is throttled, before any work.
        http_status, (code, _text) = self.post_raw(self.setup_request())
        self.assertEqual((http_status, code), (429, 429))
        self.assertFalse(
            self.env["punchout.session"].search([("connection_id", "=", self.cxml_connection.id)])
        )
        self.env["punchout.message"].search([]).write({"remote_addr": "192.0.2.1"})
        self.assertEqual(self.post_raw(self.setup_request())[1][0], 200)

    def test_guesses_from_many_addresses_throttle_the_connection(self):
        self.env["punchout.message"].create(
            [
                {
                    "direction": "in",
                    "protocol": "cxml",
                    "kind": "cxml_setup",
                    "connection_id": self.cxml_connection.id,
                    "remote_addr": f"192.0.2.{number}",
                    "auth_failed": True,
                    "state": "error",
                }
                for number in range(50)
            ]
        )
        http_status, (code, text) = self.post_raw(self.setup_request())
        self.assertEqual((http_status, code), (429, 429))
        self.assertIn("Too many failed requests", text)

    def test_secrets_are_hashed_like_api_keys_and_old_hashes_upgraded(self):
        fast_prefix = "$pbkdf2-sha512$6000$"
        connection = self.cxml_connection
        self.assertTrue(connection.cxml_shared_secret_hash.startswith(fast_prefix))
        self.assertTrue(connection.cxml_shared_secret_short)
        # A hash of an older version (Odoo's password rounds) still works, and is upgraded.
        connection.cxml_shared_secret_hash = self.env["res.users"]._crypt_context().hash("s3cr3t")
        self.assertFalse(connection.cxml_shared_secret_hash.startswith(fast_prefix))
        root, _body = self.post_cxml(self.setup_request())
        self.assertEqual(self.status(root)[0], 200)
        connection.invalidate_recordset()
        self.assertTrue(connection.cxml_shared_secret_hash.startswith(fast_prefix))
        root, _body = self.post_cxml(self.setup_request())
        self.assertEqual(self.status(root)[0], 200)

    def test_generated_secret_is_shown_once_and_works(self):
        manager = self.env["res.users"].create(
            {
                "name": "Punchout manager",
                "login": "manager@supplier.example",
                "groups_id": [
                    Command.set(self.env.ref("oci_punchout.group_punchout_manager").ids)
                ],
            }
        )
        with self.assertRaises(AccessError):
            self.cxml_connection.with_user(manager).action_generate_cxml_shared_secret()
        action = self.cxml_connection.with_user(self.env.ref("base.user_admin"))
        action = action.action_generate_cxml_shared_secret()
        secret = action["params"]["message"].rsplit(" ", 1)[1]
        self.assertGreaterEqual(len(secret), 40)
        self.assertFalse(self.cxml_connection.cxml_shared_secret_short)
        root, _body = self.post_cxml(self.setup_request(header=buyer_header(secret=secret)))
        self.assertEqual(self.status(root)[0], 200)
        root, _body = self.post_cxml(self.setup_request())
        self.assertEqual(self.status(root)[0], 401)
        self.assertNotIn(secret, str(self.env["punchout.message"].search([]).read()))
