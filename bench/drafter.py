"""Offline turn latency of the drafter on the issue's conversation, next to LangGraph's stock
tool-calling agent driven by the same offline model and tools.

    .venv/bin/python -m bench.drafter [--conversations 20] [--out docs/benchmarks.md]

The conversation (issue 17, "Done when"): draft a mutual NDA between Acme Inc. and Jane Doe (an
individual) -> California law -> add non-solicitation for 12 months -> remove the residuals
clause -> make confidentiality survive 5 years. A question the agent asks is answered at once
(its first option, or the answer in ``ANSWERS``), and a turn's time is that of all its runs:
the message and the answers, what the user waits for, without the time they take to answer.

Each conversation runs on a new thread, (a) in process: the graph compiled with an
``InMemorySaver`` and driven with ``ainvoke``; (b) through the real `langgraph dev` (on a fresh
database, our checkpointer, auth on) with ``runs.wait``. Ours and the stock agent take turns,
conversation by conversation, so load on the machine falls on both alike. The stock agent is
``langchain.agents.create_agent`` (LangGraph's prebuilt ReAct loop: model -> tools -> model),
given the drafter's offline chat model and its tools; ``langgraph dev`` serves it from this
module (``stock_graph``) next to ``drafter``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, NotRequired

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, AgentState
from langchain_core.tools import InjectedToolCallId, StructuredTool
from langgraph.prebuilt import InjectedState
from langgraph.types import Command
from pydantic import create_model

from graphs.drafter.context import Context
from graphs.drafter.graph import publish, summary
from graphs.drafter.offline import OfflineChatModel
from graphs.drafter.state import Document, Terms, Turn, merge_document
from graphs.drafter.tools import TOOLS, Draft, Tool, run_tool

ROOT = Path(__file__).resolve().parents[1]
START_MARK, END_MARK = "<!-- drafter:start -->", "<!-- drafter:end -->"
CONVERSATION = [
    "Draft a mutual NDA between Acme Inc. and Jane Doe (an individual)",
    "California law",
    "Add a non-solicitation clause for 12 months",
    "Remove the residuals clause",
    "Make confidentiality survive 5 years",
]
#: How a question is answered, by the field it decides; any other takes its first option.
ANSWERS = {"governing_law": "California", "non_solicitation_scope": "employees"}
STOCK_GRAPH = "drafter_stock"

#: A run: (thread id, input or resume value, is a resume) -> the state values after it, with
#: ``__interrupt__`` when it stopped on a question.
Run = Callable[[str, Any, bool], Awaitable[dict[str, Any]]]


def answer(values: dict[str, Any]) -> Any | None:
    """The answer to the question the run stopped on, or None when it did not stop."""
    for pending in values.get("__interrupt__") or []:
        value = pending.get("value") if isinstance(pending, dict) else pending.value
        if isinstance(value, dict):
            field_name = str(value.get("field") or "")
            options = [str(o) for o in value.get("options") or []]
            return ANSWERS.get(field_name) or (options[0] if options else "yes")
        return "yes"
    return None


@dataclass
class Series:
    """What one set-up measured: milliseconds and questions per turn of the conversation."""

    name: str
    ms: list[list[float]] = field(default_factory=lambda: [[] for _ in CONVERSATION])
    questions: list[int] = field(default_factory=lambda: [0 for _ in CONVERSATION])
    versions: list[int] = field(default_factory=list)
    bodies: set[str] = field(default_factory=set)
    errors: int = 0


async def conversation(run: Run, series: Series | None) -> int:
    """One whole conversation on a new thread; times each turn into ``series`` (None: a warm-up).
    The document's last version."""
    thread_id = str(uuid.uuid4())
    values: dict[str, Any] = {}
    for turn, message in enumerate(CONVERSATION):
        start = time.perf_counter()
        values = await run(thread_id, {"messages": [{"role": "user", "content": message}]}, False)
        asked = 0
        while (reply := answer(values)) is not None and asked < 5:
            asked += 1
            values = await run(thread_id, reply, True)
        if series is not None:
            series.ms[turn].append((time.perf_counter() - start) * 1000)
            series.questions[turn] += asked
    document = values.get("document") or {}
    version = int(document.get("version") or 0)
    if series is not None:
        series.versions.append(version)
        series.bodies.add(str(document.get("body")))
    return version


async def compare(runs: dict[str, Run], conversations: int) -> list[Series]:
    """``conversations`` conversations of each set-up, taking turns, after one warm-up each."""
    found = {name: Series(name) for name in runs}
    for run in runs.values():
        await conversation(run, None)
    for _ in range(conversations):
        for name, run in runs.items():
            try:
                await conversation(run, found[name])
            except Exception as error:  # counted, and shown once
                if not found[name].errors:
                    print(f"{name}: {type(error).__name__}: {error}", file=sys.stderr)
                found[name].errors += 1
    return list(found.values())


# -- the two agents ---------------------------------------------------------------------------


def _merged(current: Any, update: Any) -> Any:
    """A reducer for the stock agent's ``terms`` and ``turn``: tool calls of one step run side
    by side (``ToolNode``), so their updates merge; None clears (as publishing does)."""
    if update is None:
        return None
    return {**(current or {}), **update}


class StockState(AgentState):
    """``create_agent``'s state with the drafter's channels (a middleware's state schema)."""

    terms: NotRequired[Annotated[Terms, _merged]]
    turn: NotRequired[Annotated[Turn | None, _merged]]
    document: NotRequired[Annotated[Document | None, merge_document]]


def _offline(state: Any) -> OfflineChatModel:
    """The offline model told about the draft, as the drafter's ``agent`` node tells it."""
    return OfflineChatModel(draft=summary(Draft.of(state, Context())))


class Drafting(AgentMiddleware):
    """The drafter's model per call and its publish step after the loop, as middleware."""

    state_schema = StockState

    def wrap_model_call(self, request: Any, handler: Any) -> Any:
        return handler(request.override(model=_offline(request.state)))

    async def awrap_model_call(self, request: Any, handler: Any) -> Any:
        return await handler(request.override(model=_offline(request.state)))

    def after_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        return publish(state, SimpleNamespace(context=Context()))  # type: ignore[arg-type]


def _stock_tool(tool: Tool) -> StructuredTool:
    """One of the drafter's tools as a LangChain tool for ``ToolNode``: the same function
    (``run_tool`` on a working draft read from the state), its result a ``Command`` that writes
    the ToolMessage and the draft's terms and clauses back to the state."""
    schema = create_model(
        f"Stock{tool.schema.__name__}",
        __base__=tool.schema,
        state=(Annotated[dict, InjectedState], ...),
        tool_call_id=(Annotated[str, InjectedToolCallId], ...),
    )

    def call(state: dict, tool_call_id: str, **args: Any) -> Command:
        draft = Draft.of(state, Context())  # type: ignore[arg-type]
        message = run_tool(draft, {"name": tool.name, "args": args, "id": tool_call_id})
        turn = {**(state.get("turn") or {}), **draft.turn()}
        return Command(update={"messages": [message], "terms": draft.terms, "turn": turn})

    return StructuredTool.from_function(
        call, name=tool.name, description=tool.schema.__doc__ or tool.name, args_schema=schema
    )


def stock_agent(checkpointer: Any = None) -> Any:
    """LangGraph's prebuilt tool-calling agent (``create_agent``: model -> tools -> model) with
    the drafter's offline model, its tools and its publish step, put together the way the
    documentation shows: a middleware for the per-call model and the after-agent step, with a
    state schema for the draft's channels."""
    tools = [_stock_tool(tool) for tool in TOOLS.values()]
    return create_agent(
        OfflineChatModel(),
        tools,
        middleware=[Drafting()],
        checkpointer=checkpointer,
        name=STOCK_GRAPH,
    )


@functools.cache
def stock_graph() -> Any:
    """The stock agent for `langgraph dev` (a graph factory), compiled once on first use."""
    return stock_agent()


def in_process_runs() -> dict[str, Run]:
    """Ours and the stock agent, each compiled with an ``InMemorySaver``, driven with ``ainvoke``."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    from graphs.drafter.context import Context
    from graphs.drafter.graph import builder

    def runner(graph: Any, context: Any) -> Run:
        async def run(thread_id: str, value: Any, resume: bool) -> dict[str, Any]:
            config = {"configurable": {"thread_id": thread_id}}
            payload = Command(resume=value) if resume else value
            result = await graph.ainvoke(payload, config, context=context)
            return _plain(result)

        return run

    runs = {"Adlaan drafter": runner(builder.compile(checkpointer=InMemorySaver()), Context())}
    try:
        runs["stock ReAct agent"] = runner(stock_agent(InMemorySaver()), None)
    except Exception as missing:  # the table says so (—)
        print(f"stock agent not available: {missing!r}", file=sys.stderr)
    return runs


def _plain(values: Any) -> dict[str, Any]:
    """``ainvoke``'s output as the server's JSON has it: interrupts as ``{"value": ...}``."""
    values = dict(values or {})
    if "__interrupt__" in values:
        values["__interrupt__"] = [{"value": i.value} for i in values["__interrupt__"]]
    return values


def server_runs(client: Any, graphs: list[str]) -> dict[str, Run]:
    """``runs.wait`` on `langgraph dev` for each graph served."""
    names = {"drafter": "Adlaan drafter", STOCK_GRAPH: "stock ReAct agent"}
    created: set[str] = set()

    def runner(graph: str) -> Run:
        async def run(thread_id: str, value: Any, resume: bool) -> dict[str, Any]:
            if thread_id not in created:
                await client.threads.create(thread_id=thread_id)
                created.add(thread_id)
            turn = {"command": {"resume": value}} if resume else {"input": value}
            result = await client.runs.wait(thread_id, graph, **turn, raise_error=True)
            return result if isinstance(result, dict) else {}

        return run

    return {names[g]: runner(g) for g in graphs}


def served(url: str, workdir: Path, conversations: int) -> list[Series]:
    """Both agents through one `langgraph dev` on ``url``'s database."""
    import tests.server
    from tests.server import LangGraphServer

    graphs = ["drafter"]
    try:
        stock_agent()
        graphs.append(STOCK_GRAPH)
    except Exception as missing:  # the table says so (—)
        print(f"stock agent not served: {missing!r}", file=sys.stderr)
    project_config = tests.server.project_config

    def with_stock(workdir: Path, **kwargs: Any) -> Path:
        import json

        path = project_config(workdir, **kwargs)
        config = json.loads(path.read_text())
        config["graphs"][STOCK_GRAPH] = f"{ROOT / 'bench' / 'drafter.py'}:stock_graph"
        path.write_text(json.dumps(config, indent=2))
        return path

    if STOCK_GRAPH in graphs:
        tests.server.project_config = with_stock
    quiet = {"LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000", "HOOKS_ENABLED": "true"}
    dev = LangGraphServer(url, workdir, quiet)
    try:
        dev.start()
        return asyncio.run(compare(server_runs(dev.client(), graphs), conversations))
    finally:
        dev.stop()
        tests.server.project_config = project_config


# -- the report -------------------------------------------------------------------------------


def _p(ms: list[float], q: float) -> float:
    if not ms:
        return float("nan")
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _cell(series: Series | None, turn: int) -> str:
    if series is None or not series.ms[turn]:
        return "—"
    ms = series.ms[turn]
    asked = f", {series.questions[turn] / len(ms):g} q" if series.questions[turn] else ""
    return f"{statistics.median(ms):,.1f} / {_p(ms, 0.95):,.1f}{asked}"


def render(
    local: list[Series], remote: list[Series], command: str, conversations: int, load: str
) -> str:
    def pick(found: list[Series], name: str) -> Series | None:
        return next((s for s in found if s.name == name), None)

    ours, stock = "Adlaan drafter", "stock ReAct agent"
    lines = [
        START_MARK,
        "## Drafter turn (offline)",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d} ({os.cpu_count()} cores, "
        f"load average {load}). The issue's conversation, {conversations} times on new threads "
        "per set-up (after one warm-up), ours and the stock agent taking turns; no LLM_MODEL: the "
        "drafter's offline chat model. A turn's time includes answering any question it asks "
        "(answered at once; `q` = questions per turn). p50 / p95 in milliseconds. In process: "
        "the graph compiled with `InMemorySaver`, `ainvoke`. `langgraph dev`: `runs.wait` on the "
        "real dev server (our checkpointer on PostgreSQL, auth, hooks on). Stock: "
        "`langchain.agents.create_agent` with the same model and tools.",
        "",
        "| turn | in process: Adlaan | in process: stock | `langgraph dev`: Adlaan | "
        "`langgraph dev`: stock |",
        "|---|---:|---:|---:|---:|",
    ]
    for turn, message in enumerate(CONVERSATION):
        cells = [
            _cell(pick(local, ours), turn),
            _cell(pick(local, stock), turn),
            _cell(pick(remote, ours), turn),
            _cell(pick(remote, stock), turn),
        ]
        lines.append(f"| {turn + 1}. {message} | " + " | ".join(cells) + " |")
    notes = []
    for where, found in (("in process", local), ("langgraph dev", remote)):
        for series in found:
            versions = sorted(set(series.versions))
            notes.append(
                f"{series.name} ({where}): last version {', '.join(map(str, versions)) or '—'}"
                f"{f', {series.errors} errors' if series.errors else ''}"
            )
    bodies = {body for series in (*local, *remote) for body in series.bodies}
    same = (
        "the same final document (body) everywhere"
        if len(bodies) == 1
        else (f"{len(bodies)} different final documents (bodies): a difference to look into")
    )
    lines += [
        "",
        "Document versions at the end of the conversation: " + "; ".join(notes) + f"; {same}.",
        "Both agents run the same offline model, tools and publish step, so the in-process "
        "difference is the graph machinery: the drafter's three plain nodes (agent, tools run "
        "one after the other on one working draft, publish) against `create_agent`'s model "
        "node with its middleware, a `ToolNode` that injects the state into each tool and "
        "merges one `Command` per call, and an after-agent node. `langgraph dev`'s in-memory "
        "run queue polls every 0.5 s, so a run there takes about a second whatever the graph "
        "(a turn with a question is two runs; docs/serving.md): its columns show the server, "
        "the in-process ones the graphs' own cost.",
        END_MARK,
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from bench.__main__ import scratch_database

    parser = argparse.ArgumentParser(prog="python -m bench.drafter")
    parser.add_argument("--conversations", type=int, default=20, help="per set-up and place")
    parser.add_argument("--in-process-only", action="store_true", help="no server")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)

    local = asyncio.run(compare(in_process_runs(), args.conversations))
    remote: list[Series] = []
    if not args.in_process_only:
        with scratch_database() as scratch, tempfile.TemporaryDirectory() as tmp:
            remote = served(scratch.url, Path(tmp).resolve(), args.conversations)
    load = "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())
    command = ".venv/bin/python -m bench.drafter" + (
        f" --conversations {args.conversations}" if args.conversations != 20 else ""
    )
    command += " --in-process-only" if args.in_process_only else ""
    section = render(local, remote, command, args.conversations, load)
    print(section)
    from bench.storage import write_section

    write_section(Path(args.out), section, START_MARK, END_MARK)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
