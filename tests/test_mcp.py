"""End to end: ``elbo-check mcp`` started as a subprocess, each tool called through the MCP
SDK's own stdio client (skipped only where the extra ``elbo-check[mcp]`` is not installed)."""
import json
import shutil
import sys

import pytest

mcp = pytest.importorskip("mcp", reason="the extra elbo-check[mcp] is not installed")

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

WRONG = ('derivation swapped "Swapped conditional"\n  log p(x)\n'
         '  = log p(x, z) - log p(z | x)    by product-rule\n'
         '  = log p(x, z) - log p(x | z)    by bayes-rule\n')


def _structured(result):
    """The structured result of a tool call (mcp 2 spells it structured_content)."""
    assert not getattr(result, "is_error", getattr(result, "isError", False)), result
    data = getattr(result, "structured_content", None)
    if data is None:
        data = getattr(result, "structuredContent", None)
    if data is None:  # unstructured: the JSON text of the content
        data = json.loads(result.content[0].text)
    return data.get("result", data) if set(data) == {"result"} else data


async def _session_calls():
    command = shutil.which("elbo-check")
    params = (StdioServerParameters(command=command, args=["mcp"]) if command else
              StdioServerParameters(command=sys.executable, args=["-m", "elbo_sym", "mcp"]))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = sorted(t.name for t in (await session.list_tools()).tools)
            wrong = _structured(await session.call_tool(
                "check_derivation", {"text": WRONG, "source": "deriv"}))
            broken = _structured(await session.call_tool(
                "check_derivation", {"text": "log p(x)\n= log p(x,, z)\n", "source": "deriv"}))
            markdown = _structured(await session.call_tool(
                "check_derivation", {"text": "$$\n\\log p(x) = \\log p(x, z) - \\log p(z \\mid x)\n$$\n",
                                     "source": "md"}))
            elbo = _structured(await session.call_tool("derive", {"name": "elbo"}))
            catalogue = _structured(await session.call_tool("list_rules", {}))
            return tools, wrong, broken, markdown, elbo, catalogue


def test_each_tool_through_the_sdk_client():
    import anyio

    tools, wrong, broken, markdown, elbo, catalogue = anyio.run(_session_calls)
    assert tools == ["check_derivation", "derive", "list_rules"]

    assert wrong["ok"] is False and wrong["error"] is None
    [d] = wrong["derivations"]
    assert d["name"] == "swapped" and [s["verdict"] for s in d["steps"]] == ["verified", "refuted"]
    step = d["steps"][1]
    assert step["line"] == 4 and step["rules_cited"] == ["bayes-rule"]
    assert step["residual"] == "−log p(z) + log p(x)"
    assert set(step["counterexample"]) == {"x", "z"}
    assert d["steps"][0]["rules_used"] == ["product-rule"]
    assert wrong["located"][0].startswith("<derivation>:4:3: refuted: swapped, step 2:")

    assert broken["ok"] is False and broken["derivations"] == []
    assert broken["error"]["line"] == 2 and broken["error"]["column"] >= 1

    assert markdown["ok"] is True and markdown["counts"]["verified"] == 1

    assert elbo["ok"] is True and elbo["counts"] == {"verified": 7, "refuted": 0, "unknown": 0}
    assert elbo["derivations"][0]["conclusion"].startswith("log p(x) ≥ ")

    names = [r["name"] for r in catalogue["rules"]]
    assert "kl-nonneg" in names and "jensen" in names
    assert "elbo" in [b["name"] for b in catalogue["builtins"]]
