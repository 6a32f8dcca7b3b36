"""Validation of UBL invoices against the official e-invoicing rules (pure Python, no Odoo).

The official rules (EN 16931, Peppol BIS Billing 3, Dutch SI-UBL 2.0 / NLCIUS) are Schematron
compiled to XSLT 2.0: lxml cannot run them (XSLT 1.0 only), so they run with ``saxonche``, which
is optional. Without it, or without the rule files, :func:`load_rule_sets` raises
:class:`RulesUnavailable` and the caller simply skips the check.

Every document is first read by :func:`.xml.parse_xml` (size limit, no entities, no DTD, no
XInclude) and only the re-serialised, harmless tree is handed to Saxon as text: hostile XML never
reaches Saxon, and Saxon never reads a path the caller controls.

Usage::

    rule_sets = load_rule_sets("/srv/einvoice-rules", xsd_dir="/srv/ubl-2.1/xsd")
    findings = validate(xml_bytes, rule_sets["peppol_bis3"])
    for finding in fatal(findings):
        print(finding.rule_id, finding.text)

Saxon runs in a GraalVM isolate that reserves a large virtual address space up front: in a
process whose address space is limited (``RLIMIT_AS``, which Odoo sets from
``limit_memory_hard``) the first compile kills the whole process instead of raising. Servers
therefore use :func:`validate_in_subprocess`, which runs the rules in a child Python process
that lifts that limit for itself.
"""

import base64
import functools
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from lxml import etree

from .xml import DEFAULT_MAX_BYTES, parse_xml

try:
    from saxonche import PySaxonProcessor
except ImportError:  # pragma: no cover - depends on the environment
    PySaxonProcessor = None

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"

# Root element (Clark notation) -> UBL 2.1 maindoc schema file.
UBL_SCHEMAS = {
    f"{{{UBL_INVOICE_NS}}}Invoice": "UBL-Invoice-2.1.xsd",
    f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote": "UBL-CreditNote-2.1.xsd",
}

# Rule set name -> (folder glob, stylesheet globs); every stylesheet of a set must pass. When a
# glob matches several folders or files (versions), the highest version is used.
RULE_SET_LAYOUT = {
    "en16931": ("cen-en16931-*", ("EN16931-UBL-validation.xslt",)),
    "peppol_bis3": ("peppol-bis-billing-*", ("CEN-EN16931-UBL.xslt", "PEPPOL-EN16931-UBL.xslt")),
    "nlcius": ("si-ubl-*", ("si-ubl-*.xslt",)),
}

# Odoo's res.partner.invoice_edi_format -> rule set name.
RULE_SET_BY_EDI_FORMAT = {
    "ubl_bis3": "peppol_bis3",
    "nlcius": "nlcius",
}

XSD_RULE_ID = "UBL-XSD"
_RULE_ID_IN_TEXT = re.compile(r"^\s*\[([A-Za-z0-9._-]+)\]")


class RulesUnavailable(Exception):
    """saxonche is not installed, or the rule files (or schemas) are missing or unreadable."""


class RuleExecutionError(Exception):
    """Saxon failed while running a rule file on a (well-formed) document."""


@dataclass(frozen=True)
class Finding:
    """One finding of the rules: a failed assert or a successful report in the SVRL output.

    ``flag`` is the Schematron flag (``fatal``, ``warning``, ``information``...); only ``fatal``
    findings make a document invalid. XSD errors are reported as ``fatal`` with the rule id
    ``UBL-XSD``.
    """

    rule_id: str
    flag: str
    text: str
    location: str = ""

    @property
    def is_fatal(self):
        return self.flag == "fatal"

    def __str__(self):
        if self.text.startswith(f"[{self.rule_id}]"):
            return self.text
        return f"[{self.rule_id}] {self.text}"


def fatal(findings):
    """The findings that make the document invalid (``flag="fatal"``), in their order."""
    return [finding for finding in findings if finding.is_fatal]


def _version_key(path):
    """Sort key: the numbers in a file or folder name, so 2.0.3.13 comes after 2.0.3.9."""
    return [int(part) for part in re.findall(r"\d+", path.name)], path.name


def _safe_parser():
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=True,
    )


def parse_svrl(svrl):
    """Turn SVRL output (text or bytes) into :class:`Finding` objects, in document order.

    Rule ids come from the ``id`` attribute, or from the ``[RULE-ID]`` prefix of the text when
    the rule file does not set one (the SI-UBL rules).
    """
    if isinstance(svrl, str):
        svrl = svrl.encode("utf-8")
    try:
        root = etree.fromstring(svrl, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        raise RuleExecutionError(f"The rules produced unreadable SVRL output: {exc}") from exc
    findings = []
    wanted = {f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report"}
    for element in root.iter(*wanted):
        text_element = element.find(f"{{{SVRL_NS}}}text")
        text = "" if text_element is None else " ".join("".join(text_element.itertext()).split())
        rule_id = element.get("id") or ""
        if not rule_id:
            match = _RULE_ID_IN_TEXT.match(text)
            rule_id = match.group(1) if match else ""
        default_flag = "fatal" if element.tag.endswith("failed-assert") else "information"
        findings.append(
            Finding(
                rule_id=rule_id,
                flag=element.get("flag") or default_flag,
                text=text,
                location=element.get("location") or "",
            )
        )
    return findings


class UblSchemas:
    """The UBL 2.1 maindoc schemas (Invoice, CreditNote), loaded once from an ``xsd`` folder."""

    def __init__(self, xsd_dir):
        self.xsd_dir = Path(xsd_dir)
        self._schemas = {}
        self._lock = threading.Lock()
        for tag, filename in UBL_SCHEMAS.items():
            path = self.xsd_dir / "maindoc" / filename
            if not path.is_file():
                raise RulesUnavailable(f"The UBL 2.1 schema {path} is missing.")
            try:
                # Our own schema files: their relative imports (../common) are read from disk.
                self._schemas[tag] = etree.XMLSchema(etree.parse(str(path), _safe_parser()))
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
                raise RulesUnavailable(
                    f"The UBL 2.1 schema {path} cannot be loaded: {exc}"
                ) from exc

    def validate(self, root):
        """XSD findings (all ``fatal``) for a parsed document; unknown roots are one finding."""
        schema = self._schemas.get(root.tag)
        if schema is None:
            return [
                Finding(
                    XSD_RULE_ID,
                    "fatal",
                    f"The root element {root.tag} is not a UBL 2.1 Invoice or CreditNote.",
                    "/",
                )
            ]
        with self._lock:  # lxml schemas keep their error log on the object
            schema.validate(root)
            errors = list(schema.error_log)
        return [
            Finding(XSD_RULE_ID, "fatal", error.message, f"line {error.line}") for error in errors
        ]


class RuleSet:
    """Compiled rule files a document must all pass, plus the UBL XSD when ``xsd_dir`` is given.

    Compiling takes a fraction of a second per file; keep the instance and reuse it. The Saxon
    processor lives as long as the compiled executables; transforms are serialised by one lock
    per rule set, so an instance can be shared between threads.
    """

    def __init__(self, name, stylesheets, xsd_dir=None, schemas=None):
        if PySaxonProcessor is None:
            raise RulesUnavailable(
                "saxonche is not installed: the official e-invoicing rules cannot be run."
            )
        self.name = name
        self.stylesheets = tuple(Path(path) for path in stylesheets)
        if not self.stylesheets:
            raise RulesUnavailable(f"The rule set {name!r} has no rule file.")
        self._lock = threading.Lock()
        self._processor = PySaxonProcessor(license=False)
        xslt = self._processor.new_xslt30_processor()
        self._executables = []
        for path in self.stylesheets:
            if not path.is_file():
                raise RulesUnavailable(f"The rule file {path} is missing.")
            try:
                executable = xslt.compile_stylesheet(stylesheet_file=str(path))
            except Exception as exc:  # PySaxonApiError and friends
                raise RulesUnavailable(f"The rule file {path} cannot be compiled: {exc}") from exc
            if executable is None:
                raise RulesUnavailable(f"The rule file {path} cannot be compiled.")
            self._executables.append((path, executable))
        if schemas is None and xsd_dir is not None:
            schemas = UblSchemas(xsd_dir)
        self.schemas = schemas

    def __repr__(self):
        files = ", ".join(path.name for path in self.stylesheets)
        return f"<RuleSet {self.name}: {files}{' + UBL XSD' if self.schemas else ''}>"

    def validate(self, xml_bytes, max_bytes=DEFAULT_MAX_BYTES):
        """Findings of the XSD (if any) and of every rule file, in that order.

        :raises protocol.errors.PunchoutProtocolError: the document is hostile, too large or
            not well-formed (raised by :func:`.xml.parse_xml`, before Saxon sees anything)
        :raises RuleExecutionError: Saxon failed on the document
        """
        root = parse_xml(xml_bytes, max_bytes=max_bytes)
        findings = self.schemas.validate(root) if self.schemas is not None else []
        # The hardened tree without DOCTYPE, comments or processing instructions.
        text = etree.tostring(root, encoding="unicode")
        with self._lock:
            try:
                node = self._processor.parse_xml(xml_text=text)
            except Exception as exc:
                raise RuleExecutionError(f"Saxon cannot read the document: {exc}") from exc
            for path, executable in self._executables:
                try:
                    svrl = executable.transform_to_string(xdm_node=node)
                except Exception as exc:
                    raise RuleExecutionError(f"The rule file {path.name} failed: {exc}") from exc
                if not svrl:
                    raise RuleExecutionError(f"The rule file {path.name} produced no output.")
                findings.extend(parse_svrl(svrl))
        return findings


def validate(xml_bytes, rule_set, max_bytes=DEFAULT_MAX_BYTES):
    """All findings of ``rule_set`` on ``xml_bytes``; see :meth:`RuleSet.validate`."""
    return rule_set.validate(xml_bytes, max_bytes=max_bytes)


def find_rule_files(rules_dir, name):
    """The stylesheet paths of the rule set ``name`` under ``rules_dir`` (newest version).

    :raises RulesUnavailable: unknown set, missing folder or missing file
    """
    if name not in RULE_SET_LAYOUT:
        raise RulesUnavailable(f"Unknown rule set {name!r}; known: {', '.join(RULE_SET_LAYOUT)}.")
    rules_dir = Path(rules_dir)
    folder_glob, file_globs = RULE_SET_LAYOUT[name]
    folders = sorted((p for p in rules_dir.glob(folder_glob) if p.is_dir()), key=_version_key)
    if not folders:
        raise RulesUnavailable(f"No {folder_glob} folder for the {name} rules in {rules_dir}.")
    folder = folders[-1]
    files = []
    for file_glob in file_globs:
        matches = sorted((p for p in folder.glob(file_glob) if p.is_file()), key=_version_key)
        if not matches:
            raise RulesUnavailable(f"No {file_glob} rule file in {folder}.")
        files.append(matches[-1])
    return files


def load_rule_set(rules_dir, name, xsd_dir=None):
    """Compile one rule set (``en16931``, ``peppol_bis3`` or ``nlcius``) found under ``rules_dir``.

    :raises RulesUnavailable: saxonche missing, folder or rule file missing, compile error
    """
    if PySaxonProcessor is None:
        raise RulesUnavailable("saxonche is not installed: the official rules cannot be run.")
    return RuleSet(name, find_rule_files(rules_dir, name), xsd_dir=xsd_dir)


def load_rule_sets(rules_dir, xsd_dir=None):
    """Compile every rule set found under ``rules_dir``: ``{name: RuleSet}``.

    The folder is laid out as the official distributions unpacked side by side:
    ``cen-en16931-<version>/``, ``peppol-bis-billing-<version>/``, ``si-ubl-<version>/``. Sets
    whose files are absent are left out. With ``xsd_dir`` (a ``ubl-2.1/xsd`` folder holding
    ``maindoc/`` and ``common/``), each set also checks the UBL 2.1 schema.

    :raises RulesUnavailable: saxonche missing, ``rules_dir`` (or ``xsd_dir``) missing, no set
        found, or a rule file that does not compile
    """
    if PySaxonProcessor is None:
        raise RulesUnavailable("saxonche is not installed: the official rules cannot be run.")
    if not rules_dir or not Path(rules_dir).is_dir():
        raise RulesUnavailable(f"The e-invoicing rules folder {rules_dir!r} does not exist.")
    schemas = UblSchemas(xsd_dir) if xsd_dir is not None else None
    rule_sets = {}
    for name in RULE_SET_LAYOUT:
        try:
            files = find_rule_files(rules_dir, name)
        except RulesUnavailable:
            continue
        rule_sets[name] = RuleSet(name, files, schemas=schemas)
    if not rule_sets:
        raise RulesUnavailable(f"No e-invoicing rule files found in {rules_dir}.")
    return rule_sets


_cache_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _cached_rule_sets(rules_dir, xsd_dir):
    return load_rule_sets(rules_dir, xsd_dir)


def cached_rule_sets(rules_dir, xsd_dir=None):
    """:func:`load_rule_sets`, compiled once per process for a given pair of folders.

    Meant for a server checking invoices before sending; failures are not cached.
    """
    rules_dir = str(Path(rules_dir).resolve()) if rules_dir else ""
    xsd_dir = str(Path(xsd_dir).resolve()) if xsd_dir else None
    with _cache_lock:
        return _cached_rule_sets(rules_dir, xsd_dir)


# --- running the rules in a child process ------------------------------------------------------

SUBPROCESS_TIMEOUT = 300
_PACKAGE_PARENT = Path(__file__).resolve().parents[1]


def validate_in_subprocess(documents, rules_dir, xsd_dir=None, timeout=SUBPROCESS_TIMEOUT):
    """Findings of the official rules for each ``(rule_set_name, xml_bytes)`` of ``documents``,
    computed in a child Python process (see the module docstring): a list of finding lists, in
    the order of ``documents``. Only the rule sets named are compiled (about a second each).

    :raises RulesUnavailable: saxonche, a rule set or the schemas are missing, or the child
        process failed or timed out
    :raises RuleExecutionError: a document could not be checked
    """
    documents = list(documents)
    if not documents:
        return []
    request = {
        "rules_dir": str(rules_dir),
        "xsd_dir": str(xsd_dir) if xsd_dir else None,
        "documents": [
            {"rule_set": name, "xml": base64.b64encode(xml_bytes).decode("ascii")}
            for name, xml_bytes in documents
        ],
    }
    env = {**os.environ, "PYTHONPATH": str(_PACKAGE_PARENT)}
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "protocol.einvoice_rules"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=timeout,
            cwd=_PACKAGE_PARENT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RulesUnavailable(f"The rules process could not run: {exc}") from exc
    try:
        answer = json.loads(completed.stdout)
    except ValueError:
        detail = completed.stderr.decode(errors="replace").strip()[-500:]
        raise RulesUnavailable(
            f"The rules process failed (exit code {completed.returncode}): {detail}"
        ) from None
    if "unavailable" in answer:
        raise RulesUnavailable(answer["unavailable"])
    results = []
    for result in answer["results"]:
        if "error" in result:
            raise RuleExecutionError(result["error"])
        results.append([Finding(**finding) for finding in result["findings"]])
    return results


def _lift_address_space_limit():
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _serve_subprocess_request(stdin, stdout):
    """The child side of :func:`validate_in_subprocess`: a JSON request in, JSON answer out."""
    _lift_address_space_limit()
    request = json.load(stdin)
    try:
        if PySaxonProcessor is None:
            raise RulesUnavailable("saxonche is not installed: the official rules cannot be run.")
        xsd_dir = request.get("xsd_dir")
        schemas = UblSchemas(xsd_dir) if xsd_dir else None
        rule_sets = {}
        for name in dict.fromkeys(document["rule_set"] for document in request["documents"]):
            files = find_rule_files(request["rules_dir"], name)
            rule_sets[name] = RuleSet(name, files, schemas=schemas)
    except RulesUnavailable as exc:
        json.dump({"unavailable": str(exc)}, stdout)
        return
    results = []
    for document in request["documents"]:
        try:
            findings = rule_sets[document["rule_set"]].validate(base64.b64decode(document["xml"]))
        except RuleExecutionError as exc:
            results.append({"error": str(exc)})
        except Exception as exc:
            results.append({"error": getattr(exc, "message", None) or str(exc)})
        else:
            results.append({"findings": [asdict(finding) for finding in findings]})
    json.dump({"results": results}, stdout)


if __name__ == "__main__":
    _serve_subprocess_request(sys.stdin, sys.stdout)
