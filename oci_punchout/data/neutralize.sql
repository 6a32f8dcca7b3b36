-- A copied database must not accept punch-ins with production credentials,
-- nor send anything to buyers' production systems.
UPDATE punchout_connection
   SET oci_password_hash = NULL,
       test_mode = TRUE;
UPDATE punchout_session
   SET start_token_hash = NULL;
