"""Generates the Examples package's ReadmeSnippets target from README.md's ```swift blocks.

Run by scripts/check-readme-snippets.sh, which then builds the Examples package, so that every
Swift snippet in the README compiles against the current API. Plain python3, no packages.

Conventions in README.md:

- Every ```swift block is compiled. Package.swift content, shell and other text use another fence
  (```sh, ```text, ```json, ...), or the block is excluded by an HTML comment directly above it
  (blank lines may stand between): <!-- not-compiled: why (a reason is required) -->
- A hidden prelude, compiled in front of the block, is an HTML comment directly above it:
      <!-- prelude:
      let model = Sequential(ReLU())
      -->
  (one line `<!-- prelude: let x = 1 -->` works too): Swift lines as in a block (a statement goes
  on over lines while a bracket is open); `import Millrace` and `import Foundation` are implied.
- A block without a language is an error: say ```text for plain text.
- Each block (with its prelude) becomes Examples/Sources/ReadmeSnippets/SnippetN.swift: `import`
  lines at the top of the file; `extension` and `protocol` declarations at file scope; other type
  declarations (`struct`, `class`, `enum`, `actor`, `typealias`) inside `enum ReadmeSnippetN`, so
  that names do not collide between blocks; every other line (statements, `let`, local `func`s) in
  that enum's `static func run() throws`, in order. The snippets are compiled, never run.
- Compiler messages point at README.md's own lines (#sourceLocation).
- <!-- continues --> directly above a block compiles it in the previous block's scope (its
  declarations visible), for a text that builds one example over several blocks.
- <!-- same-as: Examples/OwnMillrace/main.swift --> directly above a block: the block shows that
  file (which is compiled where it lives), not compiled here; its text must equal the file's
  without the file's leading comment lines and blank lines, or the check fails (a stale copy).
- A comment marker that is not followed by a ```swift block is an error (a stale marker).
"""

import os
import re
import shutil
import sys
import textwrap

FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")
FILE_SCOPE = re.compile(r"^(@\w+(\([^)]*\))?\s+)*((public|private|fileprivate|internal|open)\s+)*(extension|protocol)\b")
TYPE_DECLARATION = re.compile(
    r"^(@\w+(\([^)]*\))?\s+)*((public|private|fileprivate|internal|open|final|indirect)\s+)*(struct|class|enum|actor|typealias)\b"
)
ATTRIBUTE_ONLY = re.compile(r"^(@\w+(\([^)]*\))?\s*)+$")


class ReadmeError(Exception):
    """A problem in README.md, with its line number."""


def bracket_balance(text, in_block_string):
    """The change in bracket depth over one line, ignoring strings and comments, and whether a
    multi-line string literal is still open at its end."""
    depth = 0
    index = 0
    while index < len(text):
        if in_block_string:
            end = text.find('"""', index)
            if end < 0:
                return depth, True
            index = end + 3
            in_block_string = False
            continue
        character = text[index]
        if text.startswith("//", index):
            break
        if text.startswith('"""', index):
            in_block_string = True
            index += 3
            continue
        if character == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
        elif character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        index += 1
    return depth, in_block_string


def same_as(path, code, line):
    """Raises unless the block `code` (numbered lines) is the file at `path` (relative to the
    repository) without its leading comment and blank lines and its trailing blank lines."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with open(os.path.join(root, path), encoding="utf-8") as file:
            text = file.read().split("\n")
    except OSError as error:
        raise ReadmeError(f"line {line}: same-as names {path}, which cannot be read: {error.strerror}")
    while text and (not text[0].strip() or text[0].lstrip().startswith("//")):
        text.pop(0)
    while text and not text[-1].strip():
        text.pop()
    shown = [content for _, content in code]
    while shown and not shown[-1].strip():
        shown.pop()
    if shown != text:
        differing = next((i for i, (a, b) in enumerate(zip(shown, text)) if a != b), min(len(shown), len(text)))
        raise ReadmeError(
            f"line {line + 1 + differing}: the block differs from {path} (its line after the leading comments: "
            f"{text[differing] if differing < len(text) else '(end)'!r}); copy the file into the block")


def blocks(lines):
    """Yields (line number, whether it continues the previous block, prelude lines [(number,
    text)], code lines [(number, text)]) for each ```swift block to compile, 1-based line numbers."""
    pending = []  # (kind, start line, content lines) of the comments directly above
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped.startswith("<!--"):
            start = index
            while "-->" not in lines[index]:
                index += 1
                if index == len(lines):
                    raise ReadmeError(f"line {start + 1}: an HTML comment is never closed")
            text = "\n".join(lines[start : index + 1]).strip()[4:]
            text = text[: text.rindex("-->")]
            match = re.match(r"\s*(prelude:|not-compiled:|same-as:|continues\s*$)", text)
            if match:
                body = text[match.end() :]
                if match.group(1) == "not-compiled" and not body.strip():
                    raise ReadmeError(f"line {start + 1}: not-compiled needs a reason")
                pending.append((match.group(1).rstrip(":").strip(), start + 1, body))
            index += 1
            continue
        fence = FENCE.match(line)
        if fence and fence.group(2):
            indent, language = fence.group(1), fence.group(2)
            start = index
            code = []
            index += 1
            while index < len(lines) and not re.match(r"^\s*```\s*$", lines[index]):
                text = lines[index]
                code.append((index + 1, text[len(indent) :] if text.startswith(indent) else text.lstrip()))
                index += 1
            if index == len(lines):
                raise ReadmeError(f"line {start + 1}: the ```{language} block is never closed")
            index += 1
            kinds = [kind for kind, _, _ in pending]
            if language != "swift" and pending:
                raise ReadmeError(f"line {pending[0][1]}: a {kinds[0]} marker stands above a ```{language} block, not ```swift")
            if language == "swift" and "same-as" in kinds:
                path = next(body for kind, _, body in pending if kind == "same-as").strip()
                same_as(path, code, start + 1)
            elif language == "swift" and "not-compiled" not in kinds:
                prelude = []
                for kind, comment_line, body in pending:
                    first, _, rest = body.partition("\n")
                    # The comment's first line holds `<!-- prelude:` and maybe code; the rest start below it.
                    if first.strip():
                        prelude.append((comment_line, first.strip()))
                    for offset, text in enumerate(textwrap.dedent(rest).split("\n")):
                        if text.strip():
                            prelude.append((comment_line + 1 + offset, text))
                yield start + 1, "continues" in kinds, prelude, code
            pending = []
            continue
        if fence:
            raise ReadmeError(f"line {index + 1}: a code block needs a language (```swift, ```sh, ```text)")
        if stripped and pending:
            raise ReadmeError(f"line {pending[0][1]}: the {pending[0][0]} marker is not directly above a ```swift block")
        index += 1
    if pending:
        raise ReadmeError(f"line {pending[0][1]}: the {pending[0][0]} marker is not directly above a ```swift block")


def split(code):
    """Splits numbered lines into imports, file-scope declarations, namespaced type declarations
    and statements, each a list of items; an item is its numbered lines."""
    parts = {"imports": [], "file": [], "types": [], "statements": []}
    waiting = []  # comments and attributes, attached to the next item
    current = None
    depth, in_block_string = 0, False
    for number, text in code:
        stripped = text.strip()
        if current is None:
            starts_continuation = stripped.startswith(".") and parts["statements"]
            if starts_continuation:
                current = parts["statements"][-1]
            elif not stripped or stripped.startswith("//") or ATTRIBUTE_ONLY.match(stripped):
                waiting.append((number, text))
                continue
            else:
                kind = (
                    "imports"
                    if stripped.startswith("import ")
                    else "file" if FILE_SCOPE.match(stripped) else "types" if TYPE_DECLARATION.match(stripped) else "statements"
                )
                current = waiting
                waiting = []
                parts[kind].append(current)
        current.append((number, text))
        change, in_block_string = bracket_balance(text, in_block_string)
        depth += change
        if depth <= 0 and not in_block_string:
            depth = 0
            current = None
    return parts


def emit(items, readme, indent):
    """The items' lines, each run of consecutive README lines under one #sourceLocation."""
    out = []
    previous = None
    for item in items:
        for number, text in item:
            if previous is None or number != previous + 1:
                out.append(f'#sourceLocation(file: "{readme}", line: {number})')
            out.append(indent + text if text.strip() else "")
            previous = number
    if items:
        out.append("#sourceLocation()")
    return out


def generate(readme, destination):
    with open(readme, encoding="utf-8") as file:
        lines = file.read().split("\n")
    if os.path.isdir(destination):
        shutil.rmtree(destination)
    os.makedirs(destination)
    snippets = []  # (README line, numbered lines) of each scope
    for line, continues, prelude, code in blocks(lines):
        if continues:
            if not snippets:
                raise ReadmeError(f"line {line}: a continues marker above the first ```swift block")
            snippets[-1][1].extend(prelude + code)
        else:
            snippets.append((line, prelude + code))
    for count, (line, code) in enumerate(snippets, start=1):
        parts = split(code)
        name = f"ReadmeSnippet{count}"
        text = [
            "// swift-format-ignore-file",
            f"// Generated by scripts/check-readme-snippets.sh from README.md line {line}: edit README.md instead.",
            "import Foundation",
            "import Millrace",
        ]
        text += emit(parts["imports"], readme, "")
        text += emit(parts["file"], readme, "")
        text.append(f"enum {name} {{")
        text += emit(parts["types"], readme, "    ")
        text.append("    static func run() throws {")
        text += emit(parts["statements"], readme, "        ")
        text += ["    }", "}", ""]
        with open(os.path.join(destination, f"Snippet{count}.swift"), "w", encoding="utf-8") as file:
            file.write("\n".join(text))
    count = len(snippets)
    with open(os.path.join(destination, "main.swift"), "w", encoding="utf-8") as file:
        file.write("// swift-format-ignore-file\n")
        file.write(f"// Generated by scripts/check-readme-snippets.sh: README.md's {count} Swift scopes, compiled, not run.\n")
    return count


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    readme = os.path.join(root, "README.md")
    try:
        count = generate(readme, os.path.join(root, "Examples", "Sources", "ReadmeSnippets"))
    except ReadmeError as error:
        print(f"README.md: {error}", file=sys.stderr)
        return 1
    print(f"readme snippets: {count} ```swift blocks of README.md written to Examples/Sources/ReadmeSnippets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
