"""The same small programs in every language, for the conformance tests."""

from __future__ import annotations

LANGUAGES = ("python", "javascript", "java", "csharp")

HELLO = {
    "python": 'print("Hello, World!")\n',
    "javascript": 'console.log("Hello, World!");\n',
    "java": """public class Main {
    public static void main(String[] args) {
        System.out.println("Hello, World!");
    }
}
""",
    "csharp": """using System;
class Program {
    static void Main() {
        Console.WriteLine("Hello, World!");
    }
}
""",
}

# Prints a prompt without a newline, reads a name, greets.
GREET = {
    "python": 'name = input("name? ")\nprint(f"Hello, {name}!")\n',
    "javascript": """process.stdout.write("name? ");
const rl = require("readline").createInterface({ input: process.stdin });
rl.once("line", (name) => {
  console.log(`Hello, ${name}!`);
  rl.close();
  process.stdin.destroy(); // on a pipe, a closed interface alone keeps the program waiting
});
""",
    "java": """import java.util.Scanner;
public class Main {
    public static void main(String[] args) {
        System.out.print("name? ");
        Scanner in = new Scanner(System.in);
        String name = in.nextLine();
        System.out.println("Hello, " + name + "!");
    }
}
""",
    "csharp": """using System;
class Program {
    static void Main() {
        Console.Write("name? ");
        string name = Console.ReadLine();
        Console.WriteLine("Hello, " + name + "!");
    }
}
""",
}

# Echoes stdin line by line until EOF, then says how many lines it saw.
ECHO = {
    "python": """import sys
n = 0
for line in sys.stdin:
    print(line, end="")
    n += 1
print(f"lines={n}")
""",
    "javascript": """let n = 0;
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (line) => { console.log(line); n++; });
rl.on("close", () => console.log(`lines=${n}`));
""",
    "java": """import java.io.*;
public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        int n = 0;
        String line;
        while ((line = in.readLine()) != null) { System.out.println(line); n++; }
        System.out.println("lines=" + n);
    }
}
""",
    "csharp": """using System;
class Program {
    static void Main() {
        int n = 0;
        string line;
        while ((line = Console.ReadLine()) != null) { Console.WriteLine(line); n++; }
        Console.WriteLine("lines=" + n);
    }
}
""",
}

EXIT_3 = {
    "python": "import sys\nsys.exit(3)\n",
    "javascript": "process.exit(3);\n",
    "java": "public class Main { public static void main(String[] a) { System.exit(3); } }\n",
    "csharp": "class P { static int Main() { return 3; } }\n",
}

RUNTIME_ERROR = {
    "python": "def f():\n    return 1 / 0\nf()\n",
    "javascript": "function f() { throw new Error('boom'); }\nf();\n",
    "java": """public class Main {
    public static void main(String[] args) {
        Object o = null;
        o.toString();
    }
}
""",
    "csharp": """using System;
class Program {
    static void Main() { throw new InvalidOperationException("boom"); }
}
""",
}

# What the traceback / stack trace looks like, and where it points.
RUNTIME_ERROR_TEXT = {
    "python": ("ZeroDivisionError", 'File "/tmp/main.py", line 2'),
    "javascript": ("Error: boom", "/tmp/main.js:1"),
    "java": ("NullPointerException", "Main.java:4"),
    "csharp": ("InvalidOperationException", "boom"),
}

COMPILE_ERROR = {
    "java": "public class Main { public static void main(String[] a) { int x = ; } }\n",
    "csharp": "class P { static void Main() { int x = ; } }\n",
}

UNICODE_TEXT = "héllo wörld, 你好, 🙂"

UNICODE = {
    "python": f'print("{UNICODE_TEXT}")\n',
    "javascript": f'console.log("{UNICODE_TEXT}");\n',
    "java": f"""public class Main {{
    public static void main(String[] args) {{
        System.out.println("{UNICODE_TEXT}");
    }}
}}
""",
    "csharp": f"""using System;
class Program {{
    static void Main() {{
        Console.WriteLine("{UNICODE_TEXT}");
    }}
}}
""",
}

ARGS = {
    "python": "import sys\nprint(sys.argv[1:])\n",
    "javascript": "console.log(JSON.stringify(process.argv.slice(2)));\n",
    "java": """public class Main {
    public static void main(String[] args) { System.out.println(String.join("|", args)); }
}
""",
    "csharp": """using System;
class P { static void Main(string[] args) { Console.WriteLine(string.Join("|", args)); } }
""",
}

ARGS_OUTPUT = {
    "python": "['a b', 'c']\n",
    "javascript": '["a b","c"]\n',
    "java": "a b|c\n",
    "csharp": "a b|c\n",
}

# Say "go", then spin the CPU for ever.
CPU_LOOP = {
    "python": "print('go', flush=True)\nwhile True:\n    pass\n",
    "javascript": "console.log('go');\nwhile (true) {}\n",
    "java": """public class Main {
    public static void main(String[] args) {
        System.out.println("go");
        long n = 0;
        while (true) { n++; }
    }
}
""",
    "csharp": """class Program {
    static void Main() {
        System.Console.WriteLine("go");
        long n = 0;
        while (true) { n++; }
    }
}
""",
}

# The parent waits for input (no CPU) while its forked child spins.
FORKED_CPU_LOOP = """import os
if os.fork() == 0:
    while True:
        pass
print('forked', flush=True)
input()
"""
