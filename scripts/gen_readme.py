#!/usr/bin/env python3
"""Build an addon's README.rst from its readme/*.md fragments, in the OCA layout.

The layout follows OCA's oca-gen-addon-readme: the manifest's name as title, its summary, the
DESCRIPTION fragment, a table of contents, then Configuration, Usage, Known issues / Roadmap and
Credits (Authors from the manifest, Contributors from CONTRIBUTORS.md). The fragments use a
small Markdown subset that is converted here, with the standard library only: ATX headings,
paragraphs, bullet and numbered lists (nested by indentation), fenced code blocks, and inline
code, bold, emphasis and links.

Usage: scripts/gen_readme.py [--addon-dir DIR] [--check]
"""

import argparse
import ast
import hashlib
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADDON = ROOT / "oci_punchout"
WIDTH = 79

# (fragment, section title), in the order of the README; missing fragments are left out.
SECTIONS = (
    ("CONTEXT", "Use Cases / Context"),
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("DEVELOP", "Development"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("HISTORY", "Changelog"),
)
CREDIT_SECTIONS = (("CONTRIBUTORS", "Contributors"), ("CREDITS", "Other credits"))
FRAGMENTS = ("DESCRIPTION", *(name for name, _title in SECTIONS + CREDIT_SECTIONS))
# Underlines of the headings inside a section, by nesting depth.
SUB_UNDERLINES = ("-", "~", "^", '"')

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_ITEM_RE = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")
_FENCE_RE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)\s*$")
_INLINE_RE = re.compile(
    r"(?P<code>`+)(?P<code_text>.+?)(?P=code)"
    r"|\[(?P<link_text>[^\]]+)\]\((?P<link_url>[^)\s]+)\)"
    r"|<(?P<autolink>https?://[^>\s]+)>"
    r"|(?P<url>https?://[^\s<>`]*[^\s<>`.,;:!?)\]'\"])"
    r"|\*\*(?P<bold>[^*]+?)\*\*"
    r"|(?<![\w*])\*(?P<emphasis>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
)
# Characters that may stand right before an inline markup start or after its end, besides
# whitespace (reStructuredText's inline markup recognition rules, ASCII part).
_BEFORE_MARKUP = set("'\"([{<-/:")
_AFTER_MARKUP = set("'\")]}>-/:.,;!?\\")
# A placeholder for spaces that must not become line breaks while wrapping.
_NBSP = "\x00"
# Text that would start a list, a comment or a field list at the start of a paragraph.
_BLOCK_START_RE = re.compile(r"^(\(?[A-Za-z0-9#]{1,3}[.)]|[-+*:|>]|\.\.)(\s|$)")


# --------------------------------------------------------------------------------------------
# Inline Markdown -> reStructuredText


def escape_text(text):
    """Plain text with every character that reStructuredText would read as markup escaped."""
    text = text.replace("\\", "\\\\")
    for char in "*`|":
        text = text.replace(char, "\\" + char)
    # "name_" is a reference and "_`" a target; an underscore inside a word is plain text.
    return re.sub(r"_(?![A-Za-z0-9])", r"\\_", text)


def _markup(match):
    """The reStructuredText of one inline Markdown construct."""
    if match.group("code"):
        text = match.group("code_text").strip()
        return "``" + text.replace(" ", _NBSP) + "``"
    if match.group("link_text"):
        label = match.group("link_text").replace("`", "").replace("<", "\\<")
        return f"`{label} <{match.group('link_url')}>`__"
    if match.group("autolink") or match.group("url"):
        return match.group("autolink") or match.group("url")
    if match.group("bold"):
        return "**" + escape_text(match.group("bold").replace("`", "")) + "**"
    return "*" + escape_text(match.group("emphasis").replace("`", "")) + "*"


def convert_inline(text):
    """One paragraph of Markdown inline text as reStructuredText, on a single line.

    Inline markup next to a letter or digit (``NEW_ITEM-*``s) gets an escaped space (``\\ ``),
    which reStructuredText needs to see the markup and removes from the output.
    """
    out = []
    position = 0
    for match in _INLINE_RE.finditer(text):
        out.append(escape_text(text[position : match.start()]))
        markup = _markup(match)
        if not (match.group("autolink") or match.group("url")):
            before = text[match.start() - 1] if match.start() else " "
            after = text[match.end()] if match.end() < len(text) else " "
            if not before.isspace() and before not in _BEFORE_MARKUP:
                markup = "\\" + _NBSP + markup
            if not after.isspace() and after not in _AFTER_MARKUP:
                markup += "\\" + _NBSP
        out.append(markup)
        position = match.end()
    out.append(escape_text(text[position:]))
    converted = "".join(out)
    if _BLOCK_START_RE.match(converted):
        converted = "\\" + converted
    return converted


def wrap(text, first_prefix="", prefix=""):
    """Lines of ``text`` (converted inline markup) wrapped at WIDTH, never inside a literal."""
    lines = textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first_prefix,
        subsequent_indent=prefix,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(_NBSP, " ") for line in lines] or [first_prefix.rstrip()]


# --------------------------------------------------------------------------------------------
# Block Markdown -> reStructuredText


def parse_blocks(markdown):
    """Markdown text as blocks: ("heading", level, text), ("paragraph", text),
    ("item", indent, ordered, text) and ("code", language, lines)."""
    blocks = []
    lines = markdown.expandtabs(4).splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        fence = _FENCE_RE.match(line)
        if fence:
            code = []
            while index < len(lines) and not lines[index].strip().startswith(fence.group(1)):
                code.append(lines[index])
                index += 1
            index += 1  # the closing fence
            blocks.append(("code", fence.group(2), textwrap.dedent("\n".join(code)).split("\n")))
            continue
        if not line.strip():
            blocks.append(("blank",))
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            blocks.append(("heading", len(heading.group(1)), heading.group(2)))
            continue
        item = _ITEM_RE.match(line)
        if item:
            ordered = item.group(2)[0].isdigit()
            blocks.append(["item", len(item.group(1)), ordered, item.group(3).strip()])
            continue
        previous = blocks[-1] if blocks else None
        if previous and previous[0] in ("item", "paragraph"):
            # A continuation line (indented or lazy) of the item or paragraph above.
            previous[-1] += " " + line.strip()
        else:
            blocks.append(["paragraph", line.strip()])
    return [tuple(block) for block in blocks]


def _render_items(items):
    """Lines of a run of list items (indent, ordered, text), nested by indentation."""
    out = []
    indents = []  # the Markdown indent of each open nesting level
    prefixes = [""]  # the reStructuredText indent of each level's item text
    previous = None
    for indent, ordered, text in items:
        while indents and indent < indents[-1]:
            indents.pop()
            prefixes.pop()
        if not indents or indent > indents[-1]:
            indents.append(indent)
            prefixes.append(prefixes[-1])
        depth = len(indents)
        marker = "#. " if ordered else "- "
        base = prefixes[depth - 1]
        prefixes[depth] = base + " " * len(marker)
        if previous is not None and previous != (depth, ordered):
            out.append("")
        out += wrap(convert_inline(text), base + marker, prefixes[depth])
        previous = (depth, ordered)
    return out


def markdown_to_rst(markdown, allow_headings=True):
    """A Markdown fragment as reStructuredText lines.

    Headings are underlined with SUB_UNDERLINES by nesting depth: a fragment's first heading is
    always at the first sub-level, whatever its number of '#', and a heading is at most one
    level below the heading it follows.
    """
    blocks = parse_blocks(markdown)
    if not allow_headings and any(block[0] == "heading" for block in blocks):
        raise ValueError("headings are not allowed in this fragment")
    open_levels = []  # Markdown levels of the enclosing headings: their count is the depth
    out = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        kind = block[0]
        if kind == "blank":
            index += 1
            continue
        if out:
            out.append("")
        if kind == "item":
            run = []
            while index < len(blocks) and blocks[index][0] in ("item", "blank"):
                if blocks[index][0] == "item":
                    run.append(blocks[index][1:])
                index += 1
            out += _render_items(run)
            continue
        index += 1
        if kind == "heading":
            while open_levels and open_levels[-1] >= block[1]:
                open_levels.pop()
            depth = min(len(open_levels), len(SUB_UNDERLINES) - 1)
            open_levels.append(block[1])
            title = convert_inline(block[2]).replace(_NBSP, " ")
            underline = SUB_UNDERLINES[depth]
            out += [title, underline * len(title)]
        elif kind == "paragraph":
            out += wrap(convert_inline(block[1]))
        elif kind == "code":
            code = block[2]
            while code and not code[-1].strip():
                code.pop()
            out += ["::", "", *(("    " + line).rstrip() for line in code)]
    return out


# --------------------------------------------------------------------------------------------
# The README


def read_manifest(addon_dir):
    return ast.literal_eval((addon_dir / "__manifest__.py").read_text(encoding="utf-8"))


def read_fragments(addon_dir):
    fragments = {}
    for name in FRAGMENTS:
        path = addon_dir / "readme" / f"{name}.md"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if text.strip():
                fragments[name] = text
    return fragments


def source_digest(manifest, fragments):
    """A digest of what the README is made of: the manifest keys it uses and the fragments."""
    digest = hashlib.sha256()
    for key in ("name", "summary", "author", "maintainers"):
        digest.update(f"{key}={manifest.get(key)!r}\0".encode())
    for name in sorted(fragments):
        digest.update(name.encode() + b"\0" + fragments[name].encode("utf-8") + b"\0")
    return "sha256:" + digest.hexdigest()


def _fragment_rst(fragments, name, allow_headings=True):
    try:
        return markdown_to_rst(fragments[name], allow_headings=allow_headings)
    except ValueError as exc:
        raise ValueError(f"readme/{name}.md: {exc}") from exc


def _section(title, underline, body_lines):
    return ["", title, underline * len(title), "", *body_lines]


def build_readme(addon_dir):
    """The README.rst text of the addon in ``addon_dir``."""
    manifest = read_manifest(addon_dir)
    fragments = read_fragments(addon_dir)
    title = escape_text(manifest["name"])
    lines = [
        "=" * len(title),
        title,
        "=" * len(title),
        "",
        "..",
        "   !! This file is generated by scripts/gen_readme.py from readme/*.md:",
        "   !! changes will be overwritten.",
        f"   !! source digest: {source_digest(manifest, fragments)}",
    ]
    if manifest.get("summary"):
        lines += ["", *wrap(escape_text(" ".join(manifest["summary"].split())))]
    if "DESCRIPTION" in fragments:
        lines += ["", *_fragment_rst(fragments, "DESCRIPTION", allow_headings=False)]
    lines += ["", "**Table of contents**", "", ".. contents::", "   :local:"]
    for fragment, title in SECTIONS:
        if fragment in fragments:
            lines += _section(title, "=", _fragment_rst(fragments, fragment))
    lines += ["", "Credits", "======="]
    authors = [author.strip() for author in manifest.get("author", "").split(",")]
    authors = [author for author in authors if author]
    if authors:
        lines += _section("Authors", "-", [f"- {escape_text(author)}" for author in authors])
    for fragment, title in CREDIT_SECTIONS:
        if fragment in fragments:
            body = _fragment_rst(fragments, fragment, allow_headings=False)
            lines += _section(title, "-", body)
    maintainers = manifest.get("maintainers") or []
    if maintainers:
        body = [f"- {escape_text(maintainer)}" for maintainer in maintainers]
        lines += _section("Maintainers", "-", body)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--addon-dir", type=Path, default=DEFAULT_ADDON, help="the addon (default: %(default)s)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only check that README.rst is up to date"
    )
    args = parser.parse_args(argv)
    addon_dir = args.addon_dir.resolve()
    try:
        text = build_readme(addon_dir)
    except (OSError, ValueError, SyntaxError, KeyError) as exc:
        print(f"gen_readme: {addon_dir}: {exc}", file=sys.stderr)
        return 2
    target = addon_dir / "README.rst"
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if args.check:
        if current != text:
            print(f"{target} is out of date: run scripts/gen_readme.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
