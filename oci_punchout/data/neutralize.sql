-- A copied database must not accept punch-ins or documents with production credentials,
-- nor send anything to buyers' production systems.
UPDATE punchout_connection
   SET oci_password_hash = NULL,
       cxml_shared_secret_hash = NULL,
       cxml_outbound_secret = NULL,
       cxml_confirmation_url = NULL,
       cxml_invoice_url = NULL,
       invoice_email = NULL,
       order_confirmation_email = NULL,
       test_mode = TRUE;
UPDATE punchout_session
   SET start_token_hash = NULL;
UPDATE punchout_message
   SET state = 'error',
       error = 'Not sent: neutralized database copy.'
 WHERE direction = 'out' AND state = 'pending';
