"""A warm runtime runs a program exactly as a fresh process does.

Each probe runs twice, with the same stdin and arguments: in a fresh container, and in a pooled
container whose warm runtime was started before the code arrived. Output, errors, exit status
and signal must be identical, and the pooled run must really have been served warm.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from sandbox import Engine, EngineConfig, Result
from sandbox.result import collect
from tests.conftest import checked

pytestmark = pytest.mark.docker

STDIN = b"first line\nsecond line\n"
ARGS = ("one", "two words", "")

PROBES: dict[str, dict[str, str]] = {
    "python": {
        "identity": """import sys, os
print(__name__, __file__, __spec__, __package__, __cached__, type(__loader__).__name__)
print(sys.argv, sys.orig_argv, sys.path[0], sys.flags.optimize)
print(sorted(globals()))
print(sorted(sys.modules))
print(sorted(os.listdir("/proc/self/fd")))
""",
        "traceback": """def inner():
    raise KeyError("boom")
def outer():
    try:
        inner()
    except KeyError as exc:
        raise RuntimeError("outer") from exc
outer()
""",
        "stack": "import traceback\ndef f():\n    traceback.print_stack()\nf()\n",
        "syntax_error": "print('ok')\ndef f(:\n    pass\n",
        "syntax_warning": "x = 1\nprint(x is 1)\n",
        "exit_code": "import sys\nprint('bye')\nsys.exit(3)\n",
        "exit_message": "import sys\nsys.exit('fatal: no input')\n",
        "keyboard_interrupt": "raise KeyboardInterrupt\n",
        "stdin": "import sys\nprint(input('? '))\nprint(sys.stdin.read().upper(), end='')\n",
        "thread_outlives_main": """import threading, time, atexit
atexit.register(lambda: print('atexit'))
def late():
    time.sleep(0.2)
    print('thread done')
threading.Thread(target=late).start()
raise SystemExit(2)
""",
        "recursion": "def f(n):\n    return f(n + 1)\nf(0)\n",
    },
    "javascript": {
        "identity": """console.log(process.argv, process.execArgv, require.main === module);
console.log(Object.keys(require.cache), module.id, module.filename, __dirname);
console.log(typeof process.stdin, process.exitCode);
""",
        "throw": "function f() { throw new TypeError('boom'); }\nf();\n",
        "syntax_error": "console.log('ok');\nconst x = ;\n",
        "exit_code": "console.log('bye');\nprocess.exit(4);\n",
        "rejection": "Promise.reject(new Error('nobody caught me'));\n",
        "stdin": """const data = require('fs').readFileSync(0, 'utf8');
console.log(data.toUpperCase());
""",
        "exit_handler": """process.on('exit', (code) => console.log('exit', code));
process.exitCode = 5;
""",
        "esm_syntax": "import fs from 'fs';\nconsole.log(fs);\n",
    },
    "java": {
        "identity": """import java.util.*;
public class Main {
    public static void main(String[] args) {
        System.out.println(Arrays.toString(args) + " " + args.length);
        System.out.println(System.getProperty("java.class.path"));
        System.out.println(Main.class.getClassLoader() == ClassLoader.getSystemClassLoader());
        System.out.println(new java.io.File("/tmp").list().length > 0);
    }
}
""",
        "caused_by": """public class Main {
    static void parse(String s) {
        try {
            Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("bad input: " + s, e);
        }
    }
    public static void main(String[] args) {
        System.out.println("before");
        parse("x");
    }
}
""",
        "compile_error": """public class Main {
    public static void main(String[] args) {
        int x = "s"
    }
}
""",
        "unchecked_note": """import java.util.*;
public class Main {
    public static void main(String[] args) {
        List raw = new ArrayList();
        raw.add("x");
        List<String> typed = raw;
        System.out.println(typed.get(0));
    }
}
""",
        "exit": """public class Main {
    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("hook")));
        System.out.println("bye");
        System.exit(3);
    }
}
""",
        "stdin": """import java.util.Scanner;
public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        System.out.print("? ");
        while (in.hasNextLine()) System.out.println(in.nextLine().toUpperCase());
    }
}
""",
        "static_init": """public class Main {
    static int value = Integer.parseInt("not a number");
    public static void main(String[] args) {
        System.out.println(value);
    }
}
""",
        "other_class_name": """public class Hello {
    public static void main(String[] args) throws Exception {
        Thread t = new Thread(() -> {
            try { Thread.sleep(100); } catch (InterruptedException e) { }
            System.out.println("thread done");
        });
        t.start();
        System.out.println("main done");
        throw new Exception("main failed");
    }
}
""",
    },
    "csharp": {
        "identity": """using System;
class Program {
    static int Main(string[] args) {
        Console.WriteLine(string.Join("|", args) + " " + args.Length);
        Console.WriteLine(typeof(Program).Assembly.GetName().Name);
        Console.WriteLine(Environment.CurrentDirectory);
        return 3;
    }
}
""",
        "unhandled": """using System;
class Program {
    static void Fail(int depth) {
        if (depth == 0) {
            try { int.Parse("x"); }
            catch (FormatException e) { throw new InvalidOperationException("outer", e); }
        }
        Fail(depth - 1);
    }
    static void Main() { Console.WriteLine("before"); Fail(2); }
}
""",
        "compile_error": """class Program {
    static void Main() {
        int x = "s";
    }
}
""",
        "compile_warning": """class Program {
    static void Main() {
        int unused = 1;
        System.Console.WriteLine("warned");
    }
}
""",
        "exit": """using System;
class Program {
    static void Main() {
        AppDomain.CurrentDomain.ProcessExit += (s, e) => Console.WriteLine("exiting");
        Console.WriteLine("bye");
        Environment.Exit(4);
    }
}
""",
        "stdin": """using System;
class Program {
    static void Main() {
        Console.Write("? ");
        string line;
        while ((line = Console.ReadLine()) != null) Console.WriteLine(line.ToUpper());
    }
}
""",
        "thread": """using System;
using System.Threading;
class Program {
    static void Main() {
        var t = new Thread(() => { Thread.Sleep(100); Console.WriteLine("thread done"); });
        t.Start();
        Console.WriteLine("main done");
    }
}
""",
        "numerics_and_dynamic": """using System;
using System.Numerics;
class Program {
    static void Main() {
        dynamic d = BigInteger.Pow(2, 100);
        Console.WriteLine(d.ToString());
    }
}
""",
    },
}


def pids(text: str) -> str:
    """Node names its process id in warnings, and that may differ from container to container."""
    return re.sub(r"\(node:\d+\)", "(node:PID)", text)


@pytest.fixture(scope="module")
async def engines() -> AsyncIterator[tuple[Engine, Engine]]:
    sizes = dict.fromkeys(PROBES, 1)
    async with (
        Engine(EngineConfig()) as fresh,
        Engine(EngineConfig(pool_sizes=sizes)) as warm,
    ):
        yield fresh, warm


async def run_warm(engine: Engine, language: str, code: str) -> Result:
    assert engine.pool is not None
    await engine.pool.wait_until_full()
    run = await engine.start(checked(engine, language, code, args=ARGS))
    try:
        await run.write_stdin(STDIN)
        await run.close_stdin()
        result = await collect(run)
    finally:
        await run.close()
    assert run.served_warm, f"the {language} run was not served by its warm runtime"
    return result


@pytest.mark.parametrize(
    ("language", "probe"),
    [(language, probe) for language, probes in PROBES.items() for probe in probes],
)
async def test_a_warm_runtime_behaves_like_a_fresh_process(
    engines: tuple[Engine, Engine], language: str, probe: str
) -> None:
    fresh_engine, warm_engine = engines
    code = PROBES[language][probe]
    fresh, warm = await asyncio.gather(
        fresh_engine.execute(checked(fresh_engine, language, code, stdin=STDIN, args=ARGS)),
        run_warm(warm_engine, language, code),
    )
    seen = [(r.status, r.exit_code, r.signal, r.output, pids(r.error)) for r in (fresh, warm)]
    assert seen[0] == seen[1]
    assert fresh.status != "internal_error", fresh
