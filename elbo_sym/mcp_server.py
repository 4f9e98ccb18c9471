"""``elbo-check mcp``: the checker as tools for an AI assistant, over the Model Context Protocol.

The server speaks MCP over standard input and output (the official ``mcp`` SDK, the extra
``elbo-check[mcp]``) and offers three tools:

- ``check_derivation(text, source)``: check a derivation written in the ``.deriv`` language
  (``source="deriv"``) or the display math of Markdown (``"md"``) or LaTeX (``"tex"``);
- ``derive(name)``: a built-in derivation, every step checked;
- ``list_rules()``: the rule catalogue (the names a step may cite after ``by``) and the
  built-ins.

Each result is the JSON of one file in ``elbo-check check --json`` (one shape, described by
``elbo_sym/schema/report.schema.json``): per derivation its steps with the verdict, the rules cited, used
and missing, and for a step that is not verified the reason, the residual and a
counterexample, so that an assistant can correct the step it wrote. Text that cannot be read
is a result too (``error`` with line and column), not a failure of the call. For Markdown and
LaTeX, ``displays`` lists the displays checked, declared and skipped (with the reason); ``ok``
is false when no step was checked: a display that could not be read is never a success.
"""
from typing import Any, Dict, List, Optional

INSTRUCTIONS = (
    "elbo-check proves each step of a variational-inference derivation (ELBO, KL, Jensen, "
    "Gaussian closed forms) or says why not. Write a chain in the .deriv language: an optional "
    "'derivation NAME \"Title\"' line, the start expression, then one step a line, each "
    "starting with =, <=, >=, <, > and ending with 'by RULE, RULE' (see list_rules). Call "
    "check_derivation with it; a step that is not 'verified' comes with its residual and "
    "often a counterexample.")
NAME = "<derivation>"   # the name of a text given to check_derivation, in its report


def report_json(report: Any) -> Dict[str, Any]:
    """A ``Report`` as the tools return it: the CLI's JSON entry of a file (one shape,
    ``elbo_sym/schema/report.schema.json``)."""
    return report.to_json()


def _failure(message: str, line: Optional[int] = None, column: Optional[int] = None,
             text: Optional[str] = None, name: str = NAME) -> Dict[str, Any]:
    """The result of a call whose text (or name) could not be read: nothing checked."""
    from .report_model import DocumentReport, ErrorReport

    return DocumentReport(name, False, ErrorReport(line, column, message,
                                                   text or message)).to_json()


def check_derivation(text: str, source: str = "deriv") -> Dict[str, Any]:
    """Check every step of the derivations in ``text`` (source: deriv, md or tex)."""
    from .api import check
    from .errors import InputError
    from .policy import CHECK

    try:
        report = check(text, source, name=NAME, policy=CHECK)
    except InputError as exc:
        return _failure(exc.message, exc.line, exc.column, str(exc))
    except ValueError as exc:  # a source that is none of deriv, md, tex
        return _failure(str(exc))
    return report_json(report)


def derive(name: str = "elbo") -> Dict[str, Any]:
    """A built-in derivation (see list_rules for the names), every step checked."""
    from .api import builtins
    from .api import derive as derive_builtin
    from .policy import DERIVE

    if name not in builtins():
        message = f"no built-in derivation named {name!r}; built-ins: {', '.join(builtins())}"
        return _failure(message, name=name)
    return report_json(derive_builtin(name, policy=DERIVE))


def list_rules() -> Dict[str, Any]:
    """The rules a step may cite after 'by', what each licenses, and the built-ins."""
    from .api import builtins, rule_catalogue

    return {"rules": [{"name": n, "licenses": what} for n, what in rule_catalogue().items()],
            "builtins": [{"name": n, "title": t} for n, t in builtins().items()]}


def build_server(name: str = "elbo-check") -> Any:
    """The MCP server with the three tools (mcp 2's MCPServer, or FastMCP of mcp 1)."""
    import importlib

    try:
        Server = importlib.import_module("mcp.server.mcpserver").MCPServer
    except ImportError:  # mcp 1.x
        Server = importlib.import_module("mcp.server.fastmcp").FastMCP
    from . import __version__

    try:
        server = Server(name, instructions=INSTRUCTIONS, version=__version__)
    except TypeError:  # mcp 1.x takes no version
        server = Server(name, instructions=INSTRUCTIONS)
    server.tool()(check_derivation)
    server.tool()(derive)
    server.tool()(list_rules)
    return server


def serve() -> None:
    """Serve MCP over standard input and output until the client closes it."""
    import sys

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 6000))
    build_server().run("stdio")
