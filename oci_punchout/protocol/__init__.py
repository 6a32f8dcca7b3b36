"""Pure-Python punchout protocols (SAP OCI, cXML): no Odoo imports here.

Parsers turn bytes and form dicts into the dataclasses of each protocol module; builders
turn dataclasses into form fields, HTML pages and XML bytes. Errors are
``errors.PunchoutProtocolError``.
"""
