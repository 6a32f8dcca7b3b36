"""Tests of the official e-invoicing rules runner (protocol/einvoice_rules.py); pytest, no Odoo.

The rule files (XSLT 2.0, run with saxonche), the UBL 2.1 schemas and the official example
invoices come from the shared folder (``PUNCHOUT_SHARED``, default: the ``shared`` folder beside
the repository). Each rule file is compiled once per module: about 2 s in all, then about 10 ms
per document. Run from the addon directory: ``python3 -m pytest protocol/tests -q``.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from protocol import einvoice_rules
from protocol.einvoice_rules import (
    XSD_RULE_ID,
    Finding,
    RuleSet,
    RulesUnavailable,
    fatal,
    find_rule_files,
    load_rule_set,
    load_rule_sets,
    parse_svrl,
    validate,
)
from protocol.errors import HostileDocument, MalformedDocument, PayloadTooLarge
from testdata import SHARED, TESTDATA

pytest.importorskip("saxonche")

RULES_DIR = TESTDATA / "einvoice-rules"
XSD_DIR = TESTDATA / "ubl-2.1" / "xsd"
EXAMPLES = TESTDATA / "einvoice-examples"

EXAMPLE_SETS = {
    "peppol-bis3": "peppol_bis3",
    "cen-en16931": "en16931",
    "si-ubl-2.0": "nlcius",
}
EXAMPLE_FILES = sorted(
    (folder, path.name) for folder in EXAMPLE_SETS for path in (EXAMPLES / folder).glob("*.xml")
)

PEPPOL_BASE = EXAMPLES / "peppol-bis3" / "base-example.xml"
PEPPOL_ORDER = EXAMPLES / "peppol-bis3" / "sales-order-example.xml"
NLCIUS_BASE = EXAMPLES / "si-ubl-2.0" / "SI-UBL-2.0_ok_base.xml"
PEPPOL_CUSTOMIZATION = (
    b"urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
)
NLCIUS_CUSTOMIZATION = b"urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"


@pytest.fixture(scope="module")
def rule_sets():
    """Every rule set of the shared folder, compiled once for this module, with the UBL XSD."""
    return load_rule_sets(RULES_DIR, xsd_dir=XSD_DIR)


def _fatal_ids(findings):
    return [finding.rule_id for finding in fatal(findings)]


# --- discovery and loading -------------------------------------------------------------------


def test_example_files_are_found():
    # Guards the parametrised test below against an empty or moved examples folder.
    assert len(EXAMPLE_FILES) == 17
    assert {folder for folder, _name in EXAMPLE_FILES} == set(EXAMPLE_SETS)


def test_rule_files_are_found_with_the_newest_version():
    assert [p.name for p in find_rule_files(RULES_DIR, "en16931")] == [
        "EN16931-UBL-validation.xslt"
    ]
    assert find_rule_files(RULES_DIR, "en16931")[0].parent.name == "cen-en16931-1.3.16"
    peppol = find_rule_files(RULES_DIR, "peppol_bis3")
    assert [p.name for p in peppol] == ["CEN-EN16931-UBL.xslt", "PEPPOL-EN16931-UBL.xslt"]
    assert peppol[0].parent.name == "peppol-bis-billing-3.0.21"
    # 2.0.3.13 is newer than 2.0.3.12: numeric, not alphabetical order.
    assert [p.name for p in find_rule_files(RULES_DIR, "nlcius")] == ["si-ubl-2.0.3.13.xslt"]


def test_all_rule_sets_are_loaded(rule_sets):
    assert sorted(rule_sets) == ["en16931", "nlcius", "peppol_bis3"]
    assert [p.name for p in rule_sets["peppol_bis3"].stylesheets] == [
        "CEN-EN16931-UBL.xslt",
        "PEPPOL-EN16931-UBL.xslt",
    ]
    assert all(rule_set.schemas is not None for rule_set in rule_sets.values())
    # One schema loader shared by the sets of one call.
    assert rule_sets["en16931"].schemas is rule_sets["nlcius"].schemas
    assert repr(rule_sets["nlcius"]) == "<RuleSet nlcius: si-ubl-2.0.3.13.xslt + UBL XSD>"


def test_missing_rules_folder_raises_rules_unavailable(tmp_path):
    with pytest.raises(RulesUnavailable, match="does not exist"):
        load_rule_sets(tmp_path / "nowhere")
    with pytest.raises(RulesUnavailable, match="does not exist"):
        load_rule_sets("")
    with pytest.raises(RulesUnavailable, match="No e-invoicing rule files"):
        load_rule_sets(tmp_path)
    with pytest.raises(RulesUnavailable, match="peppol-bis-billing-"):
        load_rule_set(tmp_path, "peppol_bis3")
    with pytest.raises(RulesUnavailable, match="Unknown rule set 'xrechnung'"):
        load_rule_set(RULES_DIR, "xrechnung")


def test_incomplete_rule_set_is_left_out_or_refused(tmp_path):
    # A Peppol folder with only one of its two rule files is not a usable set.
    peppol = tmp_path / "peppol-bis-billing-3.0.21"
    peppol.mkdir()
    (peppol / "PEPPOL-EN16931-UBL.xslt").write_bytes(b"<x/>")
    with pytest.raises(RulesUnavailable, match=r"No CEN-EN16931-UBL\.xslt rule file"):
        load_rule_set(tmp_path, "peppol_bis3")
    with pytest.raises(RulesUnavailable, match="No e-invoicing rule files"):
        load_rule_sets(tmp_path)


def test_broken_rule_file_raises_rules_unavailable(tmp_path):
    broken = tmp_path / "broken.xslt"
    broken.write_text("<xsl:stylesheet xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>")
    with pytest.raises(RulesUnavailable, match="cannot be compiled"):
        RuleSet("broken", [broken])
    with pytest.raises(RulesUnavailable, match="is missing"):
        RuleSet("missing", [tmp_path / "missing.xslt"])


def test_missing_xsd_folder_raises_rules_unavailable(tmp_path):
    with pytest.raises(RulesUnavailable, match=r"UBL-Invoice-2\.1\.xsd is missing"):
        load_rule_sets(RULES_DIR, xsd_dir=tmp_path)


def test_missing_saxonche_raises_rules_unavailable(monkeypatch):
    monkeypatch.setattr(einvoice_rules, "PySaxonProcessor", None)
    with pytest.raises(RulesUnavailable, match="saxonche is not installed"):
        load_rule_sets(RULES_DIR)
    with pytest.raises(RulesUnavailable, match="saxonche is not installed"):
        load_rule_set(RULES_DIR, "en16931")


# --- the official examples pass their own rules ----------------------------------------------


@pytest.mark.parametrize(("folder", "name"), EXAMPLE_FILES)
def test_official_example_passes_its_rule_set(rule_sets, folder, name):
    findings = validate((EXAMPLES / folder / name).read_bytes(), rule_sets[EXAMPLE_SETS[folder]])
    assert fatal(findings) == []
    assert [f for f in findings if f.rule_id == XSD_RULE_ID] == []


def test_peppol_example_also_passes_plain_en16931(rule_sets):
    assert fatal(validate(PEPPOL_BASE.read_bytes(), rule_sets["en16931"])) == []


# --- broken copies produce the expected fatal rule ids ---------------------------------------


def _without(data, *patterns):
    for pattern in patterns:
        data, count = re.subn(pattern, b"", data, flags=re.S)
        assert count == 1, pattern
    return data


BUYER_REFERENCE = rb"<cbc:BuyerReference>.*?</cbc:BuyerReference>"
ORDER_REFERENCE = rb"<cac:OrderReference>.*?</cac:OrderReference>"


def test_missing_buyer_and_order_reference_is_peppol_r003(rule_sets):
    data = _without(PEPPOL_ORDER.read_bytes(), BUYER_REFERENCE, ORDER_REFERENCE)
    findings = fatal(validate(data, rule_sets["peppol_bis3"]))
    assert [f.rule_id for f in findings] == ["PEPPOL-EN16931-R003"]
    (finding,) = findings
    assert finding.flag == "fatal"
    assert finding.is_fatal
    assert finding.text == (
        "[PEPPOL-EN16931-R003]-A buyer reference or purchase order reference MUST be provided."
    )
    assert finding.location.startswith("/*:Invoice[namespace-uri()=")
    assert str(finding) == finding.text


@pytest.mark.parametrize("removed", [BUYER_REFERENCE, ORDER_REFERENCE])
def test_either_buyer_or_order_reference_is_enough(rule_sets, removed):
    # The punchout PO number alone (OrderReference, BT-13) satisfies PEPPOL-EN16931-R003.
    data = _without(PEPPOL_ORDER.read_bytes(), removed)
    assert fatal(validate(data, rule_sets["peppol_bis3"])) == []


def test_wrong_total_is_br_co_15_and_br_co_16(rule_sets):
    data = PEPPOL_BASE.read_bytes()
    right = b'<cbc:TaxInclusiveAmount currencyID="EUR">1656.25</cbc:TaxInclusiveAmount>'
    assert right in data
    data = data.replace(
        right, b'<cbc:TaxInclusiveAmount currencyID="EUR">1999.99</cbc:TaxInclusiveAmount>'
    )
    for name in ("peppol_bis3", "en16931"):
        findings = validate(data, rule_sets[name])
        assert _fatal_ids(findings) == ["BR-CO-15", "BR-CO-16"], name
    assert fatal(findings)[0].text.startswith(
        "[BR-CO-15]-Invoice total amount with VAT (BT-112) = Invoice total amount without VAT"
    )


def test_bad_peppol_customization_id_is_peppol_r004(rule_sets):
    data = PEPPOL_BASE.read_bytes()
    assert PEPPOL_CUSTOMIZATION in data
    data = data.replace(PEPPOL_CUSTOMIZATION, b"urn:cen.eu:en16931:2017#compliant#urn:example")
    assert _fatal_ids(validate(data, rule_sets["peppol_bis3"])) == ["PEPPOL-EN16931-R004"]


def test_peppol_invoice_is_not_an_nlcius_invoice(rule_sets):
    # The SI-UBL rules carry the id only in the text: it is read from the "[...]" prefix.
    data = NLCIUS_BASE.read_bytes()
    assert NLCIUS_CUSTOMIZATION in data
    data = data.replace(NLCIUS_CUSTOMIZATION, PEPPOL_CUSTOMIZATION)
    findings = fatal(validate(data, rule_sets["nlcius"]))
    assert [f.rule_id for f in findings] == ["SI-V20-INV-R000"]
    assert "NOT tagged as an SI-UBL 2.0 invoice" in findings[0].text


def test_schema_error_is_reported_as_fatal_xsd_finding(rule_sets):
    data = PEPPOL_BASE.read_bytes()
    data = data.replace(
        b"<cbc:BuyerReference>", b"<cbc:NoSuchElement>x</cbc:NoSuchElement><cbc:BuyerReference>"
    )
    findings = validate(data, rule_sets["peppol_bis3"])
    xsd = [f for f in findings if f.rule_id == XSD_RULE_ID]
    assert len(xsd) == 1
    assert xsd[0].flag == "fatal"
    assert "NoSuchElement" in xsd[0].text
    assert re.fullmatch(r"line \d+", xsd[0].location)
    # The rules themselves do not know the element: only the XSD catches it.
    assert _fatal_ids(findings) == [XSD_RULE_ID]


def test_non_ubl_root_is_an_xsd_finding(rule_sets):
    order = (TESTDATA / "ubl-2.1" / "UBL-Order-2.1-Example.xml").read_bytes()
    findings = validate(order, rule_sets["en16931"])
    assert findings[0] == Finding(
        XSD_RULE_ID,
        "fatal",
        "The root element {urn:oasis:names:specification:ubl:schema:xsd:Order-2}Order "
        "is not a UBL 2.1 Invoice or CreditNote.",
        "/",
    )


def test_rule_set_without_xsd_runs_only_the_rules(rule_sets, monkeypatch):
    rule_set = rule_sets["peppol_bis3"]
    monkeypatch.setattr(rule_set, "schemas", None)
    data = PEPPOL_BASE.read_bytes().replace(
        b"<cbc:BuyerReference>", b"<cbc:NoSuchElement>x</cbc:NoSuchElement><cbc:BuyerReference>"
    )
    assert validate(data, rule_set) == []


# --- hostile and malformed input never reaches Saxon -----------------------------------------


class _ExplodingProcessor:
    def parse_xml(self, **_kwargs):
        raise AssertionError("Saxon must not see this document")


@pytest.fixture()
def guarded_rule_set(rule_sets, monkeypatch):
    rule_set = rule_sets["en16931"]
    monkeypatch.setattr(rule_set, "_processor", _ExplodingProcessor())
    return rule_set


def test_entities_are_refused_before_saxon(guarded_rule_set):
    data = (
        b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>'
    )
    with pytest.raises(HostileDocument):
        validate(data, guarded_rule_set)


def test_billion_laughs_is_refused_before_saxon(guarded_rule_set):
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8)
    )
    data = f"<!DOCTYPE Invoice [{entities}]><Invoice>&i;</Invoice>".encode()
    with pytest.raises(HostileDocument):
        validate(data, guarded_rule_set)


def test_xinclude_is_refused_before_saxon(guarded_rule_set):
    data = (
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
        b'xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></Invoice>'
    )
    with pytest.raises(HostileDocument):
        validate(data, guarded_rule_set)


def test_malformed_empty_and_oversized_documents_are_refused_before_saxon(guarded_rule_set):
    with pytest.raises(MalformedDocument):
        validate(b"<Invoice><unclosed></Invoice>", guarded_rule_set)
    with pytest.raises(MalformedDocument):
        validate(b"  ", guarded_rule_set)
    with pytest.raises(PayloadTooLarge):
        validate(PEPPOL_BASE.read_bytes(), guarded_rule_set, max_bytes=1000)


def test_external_doctype_is_dropped_before_saxon(rule_sets, monkeypatch):
    # A DOCTYPE with a system id is allowed by parse_xml but never given to Saxon.
    seen = []
    rule_set = rule_sets["peppol_bis3"]
    processor = rule_set._processor

    class Spy:
        def parse_xml(self, **kwargs):
            seen.append(kwargs)
            return processor.parse_xml(**kwargs)

    monkeypatch.setattr(rule_set, "_processor", Spy())
    data = PEPPOL_BASE.read_bytes()
    data = data.replace(
        b"<Invoice ", b'<!DOCTYPE Invoice SYSTEM "http://example.com/x.dtd">\n<Invoice ', 1
    )
    assert b"<!DOCTYPE" in data
    assert fatal(validate(data, rule_set)) == []
    assert len(seen) == 1
    assert set(seen[0]) == {"xml_text"}
    assert "<!DOCTYPE" not in seen[0]["xml_text"]
    assert seen[0]["xml_text"].startswith("<Invoice ")


# --- SVRL parsing and helpers ----------------------------------------------------------------


SVRL = """<?xml version="1.0" encoding="UTF-8"?>
<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <svrl:fired-rule context="ubl:Invoice"/>
  <svrl:failed-assert test="x" id="BR-01" flag="fatal" location="/Invoice[1]">
    <svrl:text>[BR-01]-An Invoice shall
        have a Specification identifier (BT-24).</svrl:text>
  </svrl:failed-assert>
  <svrl:successful-report test="y" id="NL-R-007" flag="warning" location="/Invoice[1]/x[2]">
    <svrl:text>Reported</svrl:text>
  </svrl:successful-report>
  <svrl:failed-assert test="z" flag="fatal" location="/Invoice[1]/cbc:ID[1]">
    <svrl:text>[SI-V20-INV-R000]-Not tagged as SI-UBL</svrl:text>
  </svrl:failed-assert>
  <svrl:failed-assert test="w" location="/">
    <svrl:text>No id, no flag</svrl:text>
  </svrl:failed-assert>
</svrl:schematron-output>
"""


def test_svrl_is_parsed_into_findings():
    findings = parse_svrl(SVRL)
    assert findings == [
        Finding(
            "BR-01",
            "fatal",
            "[BR-01]-An Invoice shall have a Specification identifier (BT-24).",
            "/Invoice[1]",
        ),
        Finding("NL-R-007", "warning", "Reported", "/Invoice[1]/x[2]"),
        Finding(
            "SI-V20-INV-R000",
            "fatal",
            "[SI-V20-INV-R000]-Not tagged as SI-UBL",
            "/Invoice[1]/cbc:ID[1]",
        ),
        Finding("", "fatal", "No id, no flag", "/"),
    ]
    assert _fatal_ids(findings) == ["BR-01", "SI-V20-INV-R000", ""]
    assert str(findings[1]) == "[NL-R-007] Reported"


def test_svrl_parser_does_not_resolve_entities():
    svrl = (
        '<!DOCTYPE s [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">'
        '<svrl:failed-assert id="X" flag="fatal" location="/"><svrl:text>&e;</svrl:text>'
        "</svrl:failed-assert></svrl:schematron-output>"
    )
    (finding,) = parse_svrl(svrl)
    assert finding.rule_id == "X"
    assert finding.text == "&e;"  # left as an unresolved reference


def test_fatal_keeps_only_fatal_findings_in_order():
    findings = [
        Finding("A", "warning", "a"),
        Finding("B", "fatal", "b"),
        Finding("C", "information", "c"),
        Finding("D", "fatal", "d"),
    ]
    assert fatal(findings) == [findings[1], findings[3]]
    assert fatal([]) == []


def test_cached_rule_sets_compiles_once_per_folder_pair(monkeypatch):
    calls = []

    def fake_load(rules_dir, xsd_dir=None):
        calls.append((rules_dir, xsd_dir))
        if not rules_dir.endswith("einvoice-rules"):
            raise RulesUnavailable("no rules")
        return {"en16931": object()}

    monkeypatch.setattr(einvoice_rules, "load_rule_sets", fake_load)
    einvoice_rules._cached_rule_sets.cache_clear()
    try:
        first = einvoice_rules.cached_rule_sets(RULES_DIR, XSD_DIR)
        assert einvoice_rules.cached_rule_sets(str(RULES_DIR), str(XSD_DIR)) is first
        assert calls == [(str(RULES_DIR.resolve()), str(XSD_DIR.resolve()))]
        # Failures are not cached: fixing the setting works without a restart.
        for _attempt in range(2):
            with pytest.raises(RulesUnavailable):
                einvoice_rules.cached_rule_sets(SHARED)
        assert len(calls) == 3
    finally:
        einvoice_rules._cached_rule_sets.cache_clear()


# --- threads --------------------------------------------------------------------------------


def test_rule_set_can_be_shared_between_threads(rule_sets):
    rule_set = rule_sets["peppol_bis3"]
    good = PEPPOL_BASE.read_bytes()
    bad = good.replace(
        b'<cbc:TaxInclusiveAmount currencyID="EUR">1656.25',
        b'<cbc:TaxInclusiveAmount currencyID="EUR">1999.99',
    )
    names = set()

    def check(data):
        names.add(threading.current_thread().name)
        return _fatal_ids(validate(data, rule_set))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check, [good, bad] * 8))
    assert results == [[], ["BR-CO-15", "BR-CO-16"]] * 8
    assert threading.current_thread().name not in names


# --- running the rules in a child process (what an Odoo server does) -----------------------

ODOO_DEFAULT_LIMIT_MEMORY_HARD = 2684354560  # bytes: Odoo's RLIMIT_AS for its workers
ADDON_DIR = Path(__file__).resolve().parents[2]


def _run_limited(code):
    """Run ``code`` in a Python process limited like an Odoo worker (RLIMIT_AS 2.5 GB)."""
    import resource
    import subprocess
    import sys

    def limit():
        resource.setrlimit(
            resource.RLIMIT_AS, (ODOO_DEFAULT_LIMIT_MEMORY_HARD, resource.RLIM_INFINITY)
        )

    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ADDON_DIR,
        capture_output=True,
        timeout=300,
        preexec_fn=limit,
        check=False,
    )


def test_subprocess_gives_the_findings_of_the_in_process_run(rule_sets):
    broken = _without(PEPPOL_ORDER.read_bytes(), BUYER_REFERENCE, ORDER_REFERENCE)
    documents = [
        ("peppol_bis3", PEPPOL_BASE.read_bytes()),
        ("peppol_bis3", broken),
        ("nlcius", NLCIUS_BASE.read_bytes()),
    ]
    results = einvoice_rules.validate_in_subprocess(documents, RULES_DIR, XSD_DIR)
    expected = [validate(data, rule_sets[name]) for name, data in documents]
    assert results == expected
    assert [_fatal_ids(findings) for findings in results] == [[], ["PEPPOL-EN16931-R003"], []]


def test_in_process_saxon_aborts_under_an_address_space_limit():
    # Why servers use the child process: GraalVM reserves far more address space than Odoo
    # allows its workers, and the failure is an abort, not an exception.
    code = (
        "from protocol import einvoice_rules\n"
        f"einvoice_rules.load_rule_set({str(RULES_DIR)!r}, 'peppol_bis3')\n"
        "print('compiled')\n"
    )
    completed = _run_limited(code)
    assert completed.returncode != 0
    assert b"compiled" not in completed.stdout


def test_subprocess_runs_the_rules_under_an_address_space_limit():
    broken = _without(PEPPOL_ORDER.read_bytes(), BUYER_REFERENCE, ORDER_REFERENCE)
    code = (
        "import sys\n"
        "from protocol import einvoice_rules\n"
        f"results = einvoice_rules.validate_in_subprocess([('peppol_bis3', {broken!r})], "
        f"{str(RULES_DIR)!r})\n"
        "print([f.rule_id for f in einvoice_rules.fatal(results[0])])\n"
    )
    completed = _run_limited(code)
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    assert completed.stdout.strip() == b"['PEPPOL-EN16931-R003']"


def test_subprocess_without_rules_raises_rules_unavailable(tmp_path):
    with pytest.raises(RulesUnavailable, match="peppol-bis-billing"):
        einvoice_rules.validate_in_subprocess(
            [("peppol_bis3", PEPPOL_BASE.read_bytes())], tmp_path
        )


def test_subprocess_reports_a_hostile_document_as_rule_execution_error():
    hostile = b'<!DOCTYPE x [<!ENTITY e "boom">]><Invoice>&e;</Invoice>'
    with pytest.raises(einvoice_rules.RuleExecutionError):
        einvoice_rules.validate_in_subprocess([("peppol_bis3", hostile)], RULES_DIR)


def test_subprocess_is_not_started_for_nothing(monkeypatch):
    def no_process(*args, **kwargs):
        raise AssertionError("no process for no document")

    monkeypatch.setattr(einvoice_rules.subprocess, "run", no_process)
    assert einvoice_rules.validate_in_subprocess([], RULES_DIR) == []
