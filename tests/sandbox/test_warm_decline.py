"""A warm runtime declines what it cannot run exactly as a fresh process would.

Java's warm runtime (images/java/Warm.java) declines a source that declares a package or
mentions a name from its REVEALING list, and a class the launcher itself would refuse to run.
C#'s (images/csharp/Warm.cs) compiles first, then declines a program whose compiled references
include something from Scan's lists. Either way the runner kills the runtime and compiles and
runs the program fresh, in the same container (images/README.md, "Warm runtimes").

Each program runs twice, with the same stdin and arguments: in a fresh container, and in a
pooled container whose warm runtime was started before the code arrived. A declined program
must really have been declined (the pooled container had a warm runtime; it did not serve the
run), and both runs must give the expected outcome. Programs close to a rule, but outside it,
must still be served warm: the decline is specific.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from sandbox import Engine, EngineConfig, Result, StageEvent
from sandbox.result import collect
from tests.conftest import checked
from tests.sandbox.test_warm import ARGS, STDIN

pytestmark = pytest.mark.docker


@dataclass(frozen=True)
class Program:
    """A program and its outcome (stdin STDIN, arguments ARGS) in a fresh container."""

    code: str
    output: str
    error: str = ""
    compile_output: str = ""
    status: str = "ok"
    exit_code: int = 0


JAVA_NO_MAIN_CLASS = "Error: Could not find or load main class Main\n" + (
    "Caused by: java.lang.ClassNotFoundException: Main\n"
)

# Each trips a different rule; see the comments in Warm.java and Warm.cs they point at.
DECLINED: dict[str, dict[str, Program]] = {
    "java": {
        # declaresPackage: the first token after white space and comments. javac puts the
        # class in /tmp/demo, so the launcher cannot find Main.
        "package_declaration": Program(
            """// a comment first
/* and a block comment */
package demo;

public class Main {
    public static void main(String[] args) {
        System.out.println("in a package");
    }
}
""",
            output="",
            error=JAVA_NO_MAIN_CLASS,
            status="runtime_error",
            exit_code=1,
        ),
        # REVEALING: a thread dump shows the frames below main; a fresh JVM has none.
        "all_stack_traces": Program(
            """public class Main {
    public static void main(String[] args) {
        StackTraceElement[] trace = Thread.getAllStackTraces().get(Thread.currentThread());
        System.out.println(trace[trace.length - 1]);
    }
}
""",
            output="app//Main.main(Main.java:3)\n",
        ),
        # REVEALING: a stack walk that shows hidden frames sees the warm runtime's.
        "show_hidden_frames": Program(
            """public class Main {
    public static void main(String[] args) {
        StackWalker walker = StackWalker.getInstance(StackWalker.Option.SHOW_HIDDEN_FRAMES);
        System.out.println(walker.walk(frames -> frames.reduce((above, below) -> below)).get());
    }
}
""",
            output="Main.main(Main.java:4)\n",
        ),
        # REVEALING, by name alone: in a comment too. javac's notes come once, from the fresh
        # javac (the warm runtime declines before it compiles).
        "name_in_a_comment": Program(
            """import java.util.*;
public class Main {
    // Nothing here calls ProcessHandle.current(); its name is enough.
    public static void main(String[] args) {
        List raw = new ArrayList(Arrays.asList(args));
        List<String> typed = raw;
        System.out.println(String.join(",", typed));
    }
}
""",
            output="one,two words,\n",
            compile_output="Note: /tmp/Main.java uses unchecked or unsafe operations.\n"
            "Note: Recompile with -Xlint:unchecked for details.\n",
        ),
        # REVEALING: the warm runtime's own class is on the boot class path.
        "warm_class_by_name": Program(
            """public class Main {
    public static void main(String[] args) {
        try {
            Class.forName("codex.Warm");
            System.out.println("found");
        } catch (ClassNotFoundException e) {
            System.out.println("absent");
        }
    }
}
""",
            output="absent\n",
        ),
        # REVEALING: /proc/ shows the process's command line.
        "proc_self": Program(
            """import java.nio.file.*;
public class Main {
    public static void main(String[] args) throws Exception {
        System.out.println(Files.readString(Path.of("/proc/self/cmdline")).contains("Warm"));
    }
}
""",
            output="false\n",
        ),
        # The launcher's checks: a main that is not static is the launcher's error to print.
        "main_not_static": Program(
            """public class Main {
    public void main(String[] args) {
        System.out.println("not reached");
    }
}
""",
            output="",
            error="Error: Main method is not static in class Main, please define the main "
            "method as:\n   public static void main(String[] args)\n",
            status="runtime_error",
            exit_code=1,
        ),
        # The launcher's checks: no public class, so the file is Main.java, and no class Main.
        "no_class_named_main": Program(
            """class Helper {
    public static void main(String[] args) {
        System.out.println("not reached");
    }
}
""",
            output="",
            error=JAVA_NO_MAIN_CLASS,
            status="runtime_error",
            exit_code=1,
        ),
    },
    "csharp": {
        # DeniedTypes: a StackTrace walks down through the warm runtime's Main. mcs's warning
        # comes once, from the fresh mcs (the warm runtime writes its own only before `run`).
        "stack_trace_type": Program(
            """using System;
using System.Diagnostics;
class Program {
    static void Main() {
        int unused = 1;
        var trace = new StackTrace();
        Console.WriteLine(trace.GetFrame(trace.FrameCount - 1).GetMethod().Name);
    }
}
""",
            output="Main\n",
            compile_output="/tmp/main.cs(5,13): warning CS0219: The variable `unused' is "
            "assigned but its value is never used\nCompilation succeeded - 1 warning(s)\n",
        ),
        # DeniedMembers: Environment.StackTrace is a walk of the whole stack too.
        "environment_stack_trace": Program(
            """using System;
class Program {
    static void Main() {
        string[] lines = Environment.StackTrace.Trim().Split('\\n');
        Console.WriteLine(lines[lines.Length - 1].Trim());
    }
}
""",
            output="at Program.Main () [0x00001] in /tmp/main.cs:4\n",
        ),
        # DeniedMembers: the entry assembly is the warm runtime's.
        "entry_assembly": Program(
            """using System;
using System.Reflection;
class Program {
    static void Main() {
        Console.WriteLine(Assembly.GetEntryAssembly().GetName().Name);
    }
}
""",
            output="main\n",
        ),
        # System.AppDomain outside AllowedAppDomainMembers: the domain is named after the
        # warm runtime and holds the compiler's assemblies.
        "app_domain_members": Program(
            """using System;
class Program {
    static void Main() {
        var domain = AppDomain.CurrentDomain;
        Console.WriteLine(domain.FriendlyName + " " + domain.GetAssemblies().Length);
    }
}
""",
            output="main.exe 2\n",
        ),
        # DeniedNamespaces: isolated storage is kept per entry assembly.
        "isolated_storage": Program(
            """using System;
using System.IO.IsolatedStorage;
class Program {
    static void Main() {
        using (var store = IsolatedStorageFile.GetUserStoreForAssembly()) {
            Console.WriteLine("opened");
        }
    }
}
""",
            output="opened\n",
        ),
    },
}

# Close to a rule but outside it: served warm, and just as a fresh process runs them.
SERVED: dict[str, dict[str, Program]] = {
    "java": {
        # "package" not as the first token; a stack trace of its own (the warm runtime's
        # frames below main are hidden), stdin and arguments.
        "package_not_first_own_stack": Program(
            """import java.util.*;
public class Main {
    static void show() {
        StackTraceElement[] frames = Thread.currentThread().getStackTrace();
        System.out.println(Arrays.asList(frames).subList(1, frames.length));
        new Throwable("here").printStackTrace();
    }
    public static void main(String[] args) {
        String packageName = "package";
        Scanner in = new Scanner(System.in);
        System.out.println(packageName + " " + Arrays.toString(args) + " " + in.nextLine());
        show();
        long depth = StackWalker.getInstance().walk(frames -> frames.count());
        System.out.println(depth);
    }
}
""",
            output="package [one, two words, ] first line\n"
            "[Main.show(Main.java:4), Main.main(Main.java:12)]\n1\n",
            error="java.lang.Throwable: here\n\tat Main.show(Main.java:6)\n"
            "\tat Main.main(Main.java:12)\n",
        ),
    },
    "csharp": {
        # System.Diagnostics but not a denied type; AppDomain members on the allowed list.
        "allowed_neighbours": Program(
            """using System;
using System.Diagnostics;
class Program {
    static void Main(string[] args) {
        var watch = Stopwatch.StartNew();
        AppDomain.CurrentDomain.ProcessExit += (sender, e) => Console.WriteLine("exit");
        Console.WriteLine(AppDomain.CurrentDomain.BaseDirectory + " " + string.Join("|", args));
        Console.WriteLine(Console.ReadLine() + " " + (watch.Elapsed >= TimeSpan.Zero));
    }
}
""",
            output="/tmp/ one|two words|\nfirst line True\nexit\n",
        ),
        # The scan reads the compiled references, not the text.
        "denied_names_in_text": Program(
            """using System;
class Program {
    // Not called: System.Diagnostics.StackTrace, Environment.StackTrace.
    static void Main() {
        Console.WriteLine("Environment.StackTrace");
    }
}
""",
            output="Environment.StackTrace\n",
        ),
    },
}


@pytest.fixture(scope="module")
async def engines() -> AsyncIterator[tuple[Engine, Engine]]:
    """A fresh engine and one with a warm container per language here (as in test_warm)."""
    sizes = dict.fromkeys(DECLINED, 1)
    async with (
        Engine(EngineConfig()) as fresh,
        Engine(EngineConfig(pool_sizes=sizes)) as warm,
    ):
        yield fresh, warm


@dataclass(frozen=True)
class Outcome:
    result: Result
    served_warm: bool
    # The container's command: the warm runtime its runner started (empty: none).
    runtime: tuple[str, ...]
    # The stages announced, in order.
    stages: tuple[str, ...]


async def run_program(engine: Engine, language: str, code: str) -> Outcome:
    """Every engine call of this module: run `code` with STDIN and ARGS, in a pooled container
    if the engine has a pool (once it is full), and tell how it went."""
    if engine.pool is not None:
        await engine.pool.wait_until_full()
    run = await engine.start(checked(engine, language, code, args=ARGS))
    try:
        container = await engine.docker.containers.container(run.container_id).show()
        await run.write_stdin(STDIN)
        await run.close_stdin()
        stages: list[str] = []
        result = await collect(
            run, lambda event: stages.append(event.stage) if isinstance(event, StageEvent) else None
        )
    finally:
        await run.close()
    command = tuple(container["Config"]["Cmd"] or ())
    return Outcome(result, run.served_warm, command, tuple(stages))


def seen(result: Result) -> tuple[object, ...]:
    return (result.status, result.exit_code, result.signal, result.output, result.error)


async def fresh_and_pooled(
    engines: tuple[Engine, Engine], language: str, program: Program
) -> tuple[Outcome, Outcome]:
    fresh_engine, warm_engine = engines
    fresh, pooled = await asyncio.gather(
        run_program(fresh_engine, language, program.code),
        run_program(warm_engine, language, program.code),
    )
    assert fresh.runtime == ()
    assert not fresh.served_warm
    # The pooled container's runner had started the warm runtime: not serving is its choice.
    assert pooled.runtime == warm_engine.languages.get(language).warm_command()
    expected = (program.status, program.exit_code, None, program.output, program.error)
    assert seen(fresh.result) == expected, fresh.result
    assert seen(pooled.result) == seen(fresh.result)
    assert fresh.result.compile_output == program.compile_output
    assert pooled.result.compile_output == fresh.result.compile_output
    assert pooled.stages == fresh.stages  # a declined warm compile is not announced twice
    return fresh, pooled


@pytest.mark.parametrize(
    ("language", "name"),
    [(language, name) for language, programs in DECLINED.items() for name in programs],
)
async def test_a_declined_program_runs_fresh_in_the_pooled_container(
    engines: tuple[Engine, Engine], language: str, name: str
) -> None:
    _, pooled = await fresh_and_pooled(engines, language, DECLINED[language][name])
    assert not pooled.served_warm, f"the {language} warm runtime served {name}"


@pytest.mark.parametrize(
    ("language", "name"),
    [(language, name) for language, programs in SERVED.items() for name in programs],
)
async def test_a_program_near_a_decline_rule_is_served_warm(
    engines: tuple[Engine, Engine], language: str, name: str
) -> None:
    _, pooled = await fresh_and_pooled(engines, language, SERVED[language][name])
    assert pooled.served_warm, f"the {language} warm runtime declined {name}"
