// The warm runtime of the C# image (see "Warm runtimes" in images/README.md).
//
// Started as `mono --debug /opt/codex/warm.exe` before the code exists, it loads Mono's C#
// compiler (mcs.exe) into this process and exercises it and the runtime on a small program,
// then waits for its request on fd 3: /tmp/main.cs and the program's arguments. It compiles
// the file in-process exactly as the fresh
//   mcs -debug -r:System.Numerics.dll -r:Microsoft.CSharp.dll -out:/tmp/main.exe /tmp/main.cs
// would (the same driver steps as mcs's Main: diagnostics, summary line and status, with
// mcs's stdout joined to its stderr; /tmp/main.exe and its .mdb on disk), then has the runtime
// run /tmp/main.exe from this, the main, thread through mono_jit_exec: the very call with
// which a fresh `mono --debug /tmp/main.exe args...` starts its program. So the program's
// Main gets its arguments, Environment.GetCommandLineArgs() and the exit status (Main's
// return value, Environment.ExitCode, Environment.Exit) are the fresh ones, and an exception
// that escapes Main is caught and printed by the runtime itself ("Unhandled Exception:" and
// "[ERROR] FATAL UNHANDLED EXCEPTION:", status 1): its stack trace ends at the program's Main.
// When Main returns, so does WarmRuntime.Main, and the runtime ends the process as it ends a
// fresh one (it waits for foreground threads, runs ProcessExit handlers and finalizers).
// This process never uses Console: the program's console streams are made when it first
// uses them, as in a fresh run.
//
// What stays different is what only a walk of the whole stack or a look at the process shows:
// below the program's Main are this Main and its native call; the entry assembly and the
// domain's name are this runtime's; the domain holds more assemblies and the process more
// memory. A program that asks for any of these (see Scan below) is declined: this exits
// with Decline before writing `run` or `compile_error`, and the runner runs the fresh mcs and
// mono instead. So is anything else this cannot reproduce exactly.
//
// Progress goes to the runner on fd 4: ready, compile, then compile_error <status> or run;
// after compile and after run it waits for the runner's `go` on fd 3. Nothing touches stdin,
// stdout or stderr before the request has arrived.

using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Mono.CSharp;

static class WarmRuntime
{
    // The exit status of a declined request; the runner ignores it.
    const int Decline = 70;

    const int RequestFd = 3;
    const int StatusFd = 4;

    const string Source = "/tmp/main.cs";
    const string Program = "/tmp/main.exe";

    // The fresh compile argv after `mcs` (see sandbox/languages.py).
    static readonly string[] CompileArgs = {
        "-debug", "-r:System.Numerics.dll", "-r:Microsoft.CSharp.dll", "-out:" + Program, Source,
    };

    // Scratch space for the warm-up, removed before the request is served; a top-level name
    // starting with '.' is never an artifact.
    const string Scratch = "/tmp/.codex-warm-cs";

    // Compiles of the warm-up program; a request that arrives ends them early.
    const int WarmRounds = 4;

    // Mono.CSharp.Driver, the class behind mcs's Main, is internal: reached by reflection.
    static ConstructorInfo driverNew;
    static MethodInfo driverCompile;

    // Mono.CSharp.CSharpParser.global_yyVals: the parser's value stack, kept between parses.
    static FieldInfo parserValues;

    static void Main()
    {
        IntPtr domain, assembly;
        IntPtr[] argv;
        try {
            const BindingFlags instance = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
            var driver = typeof(CompilerContext).Assembly.GetType("Mono.CSharp.Driver", true);
            driverNew = driver.GetConstructor(instance, null, new[] { typeof(CompilerContext) }, null);
            driverCompile = driver.GetMethod("Compile", instance, null, Type.EmptyTypes, null);
            parserValues = typeof(CSharpParser).GetField("global_yyVals", BindingFlags.NonPublic | BindingFlags.Static);
            if (driverNew == null || driverCompile == null || parserValues == null)
                Exit(Decline);

            WarmUp();
            WriteStatus("ready\n");
            var request = ReadRequest();
            if (request.Count == 0 || Encoding.UTF8.GetString(request[0]) != Source)
                Exit(Decline);  // a request for another file than this runtime handles

            WriteStatus("compile\n");
            AwaitGo();
            string diagnostics;
            int status = Compile(CompileArgs, out diagnostics);
            if (status != 0) {
                WriteStderr(diagnostics);
                WriteStatus("compile_error " + status + "\n");
                Exit(status);
            }
            if (!Scan(Program))
                Exit(Decline);

            // Open the program before saying `run`: a failure here can still be declined.
            domain = mono_domain_get();
            assembly = mono_domain_assembly_open(domain, Program);
            if (assembly == IntPtr.Zero)
                Exit(Decline);
            argv = Argv(request);
            SetUpDomain();

            // Leave the heap with no more than this runtime's own survivors (mostly the
            // compiler's code and caches) for the program.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            ResetPeakMemory();
            ResetAbortThreshold();  // after this, nothing here catches an exception

            WriteStderr(diagnostics);  // a successful compile's warnings, as mcs prints them
            WriteStatus("run\n");
            AwaitGo();
            close(RequestFd);
            close(StatusFd);
        } catch (Exception) {
            Exit(Decline);
            return;
        }

        // From here on this process is the program. An exception that escapes its Main does not
        // come back here: the runtime prints it and ends the process with status 1.
        mono_jit_exec(domain, assembly, argv.Length - 1, argv);
    }

    // The domain's setup as a fresh run has it, which the runtime takes from the entry assembly:
    // assemblies asked for by name are looked for in /tmp, the program's directory, and the
    // configuration file is the program's.
    static void SetUpDomain()
    {
        const BindingFlags instance = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        object setup = typeof(AppDomain).GetProperty("SetupInformationNoCopy", instance).GetValue(AppDomain.CurrentDomain, null);
        setup.GetType().GetField("application_base", instance).SetValue(setup, "/tmp/");
        setup.GetType().GetField("configuration_file", instance).SetValue(setup, Program + ".config");
    }

    // The peak memory use the runner reports for the program (its ru_maxrss) is the process's
    // resident high-water mark: start it again from here, so that it is not the warm-up's.
    static void ResetPeakMemory()
    {
        int fd = open("/proc/self/clear_refs", O_WRONLY);
        if (fd >= 0) {
            write(fd, new[] { (byte)'5' }, (IntPtr)1);
            close(fd);
        }
    }

    // The runtime raises a caught thread abort again at the end of the catch clause only if
    // the clause's frame is no deeper in the stack than the thread's abort threshold: the
    // outermost frame that has caught an exception since the last Thread.ResetAbort. The
    // exceptions caught here (in mcs, in the warm-up) can leave it in a frame of this runtime
    // outside the program's Main, where a fresh run has none. Aborting this thread and
    // resetting the abort clears it.
    static void ResetAbortThreshold()
    {
        try {
            Thread.CurrentThread.Abort();
        } catch (ThreadAbortException) {
            Thread.ResetAbort();
        }
    }

    // --- Compiling ---------------------------------------------------------------------------

    // Compiles as mcs's Main does and returns its exit status; `output` is what mcs would have
    // printed, its stdout and stderr joined.
    static int Compile(string[] args, out string output)
    {
        var text = new StringWriter();
        try {
            return CompileAsMcs(args, text);
        } finally {
            output = text.ToString();
            // Forget this compilation: mcs's static state, and the references to its syntax
            // tree, and through it to everything it imported, in RootContext and in the
            // parser's value stack (reused from one parse to the next, written before read).
            CompilerCallableEntryPoint.Reset();
            RootContext.ToplevelTypes = null;
            var values = parserValues.GetValue(null) as Array;
            if (values != null)
                Array.Clear(values, 0, values.Length);
        }
    }

    // The body of Mono.CSharp.Driver.Main (mcs 6.8) without its Environment.Exit, writing to
    // `text` what it writes to Console.Out and Console.Error. This process leaves Console to the
    // program: its streams are made when the program first uses them, as in a fresh run (which
    // matters, say, to the order in which finalizers run when the process ends).
    static int CompileAsMcs(string[] args, TextWriter text)
    {
        Location.InEmacs = Environment.GetEnvironmentVariable("EMACS") == "t";

        var cmd = new CommandLineParser(text);
        var settings = cmd.ParseArguments(args);
        if (settings == null)
            return 1;
        if (cmd.HasBeenStopped)
            throw new NotSupportedException("mcs stopped after its options");

        var context = new CompilerContext(settings, new ConsoleReportPrinter(text));
        object driver = driverNew.Invoke(new object[] { context });
        bool compiled = (bool)driverCompile.Invoke(driver, null);
        var report = context.Report;
        if (compiled && report.Errors == 0) {
            if (report.Warnings > 0)
                text.WriteLine("Compilation succeeded - {0} warning(s)", report.Warnings);
            return 0;
        }
        text.WriteLine("Compilation failed: {0} error(s), {1} warnings", report.Errors, report.Warnings);
        return 1;
    }

    // --- Warming up --------------------------------------------------------------------------

    // Compiles the warm-up program as a request would be compiled, a few times, then runs it
    // once on text in memory, so that the compiler and the library code programs use most are
    // loaded and JIT-compiled; the compiler first, as a request that arrives meanwhile ends
    // the warm-up. Leaves nothing behind in /tmp.
    static void WarmUp()
    {
        string source = Scratch + "/warm.cs";
        string output = Scratch + "/warm.exe";
        string[] args = {
            "-debug", "-r:System.Numerics.dll", "-r:Microsoft.CSharp.dll", "-out:" + output, source,
        };
        try {
            Directory.CreateDirectory(Scratch);
            File.WriteAllText(source, WarmUpSource);
            for (int round = 0; round < WarmRounds && !RequestPending(); round++) {
                string diagnostics;
                if (Compile(args, out diagnostics) != 0)
                    throw new InvalidOperationException("the warm-up program does not compile:\n" + diagnostics);
            }
            if (File.Exists(output) && !RequestPending())
                RunWarmUp(File.ReadAllBytes(output));
        } finally {
            if (Directory.Exists(Scratch))
                Directory.Delete(Scratch, true);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    static void RunWarmUp(byte[] image)
    {
        var run = Assembly.Load(image).GetType("CodexWarmUp.Program", true).GetMethod("Run");
        var sink = new StreamWriter(Stream.Null, new UTF8Encoding(false)) { AutoFlush = true };
        var input = new StringReader("3 1 4 1 5 9 2 6\nAda\n");
        run.Invoke(null, new object[] { input, sink, sink, new string[0] });
    }

    // Exercises what programs here commonly use: classes, structs, interfaces, generics,
    // iterators, lambdas and LINQ, string formatting, collections, exceptions, BigInteger,
    // dynamic (compiled only), reading input to its end. Run calls what Main would with
    // Console's reader and writers. The assembly is named warm, never main, and its types are
    // in a namespace of their own, out of the way of the program's.
    const string WarmUpSource = @"
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;

namespace CodexWarmUp {
    interface IShape { double Area { get; } string Name { get; } }

    abstract class Shape : IShape {
        public abstract double Area { get; }
        public virtual string Name { get { return GetType().Name; } }
        public override string ToString() { return string.Format(""{0} {1:F2}"", Name, Area); }
    }

    sealed class Circle : Shape {
        readonly double radius;
        public Circle(double radius) { this.radius = radius; }
        public override double Area => Math.PI * radius * radius;
    }

    sealed class Rect : Shape {
        public double Width { get; set; }
        public double Height { get; set; }
        public override double Area => Width * Height;
    }

    struct Point : IComparable<Point> {
        public readonly int X, Y;
        public Point(int x, int y) { X = x; Y = y; }
        public int CompareTo(Point other) { return X != other.X ? X.CompareTo(other.X) : Y.CompareTo(other.Y); }
        public override string ToString() => $""({X}, {Y})"";
    }

    enum Color { Red, Green, Blue }

    class Node<T> {
        public T Value;
        public Node<T> Next;
    }

    static class Program {
        static IEnumerable<long> Fibonacci(int count) {
            long a = 0, b = 1;
            for (int i = 0; i < count; i++) {
                yield return a;
                long c = a + b; a = b; b = c;
            }
        }

        static int Factorial(int n) { return n <= 1 ? 1 : n * Factorial(n - 1); }

        static T Largest<T>(params T[] items) where T : IComparable<T> {
            T best = items[0];
            foreach (var item in items) if (item.CompareTo(best) > 0) best = item;
            return best;
        }

        static void Swap<T>(ref T a, ref T b) { T t = a; a = b; b = t; }

        // Compiled, not run: the runtime binder would keep a copy of every loaded assembly's types.
        static object Twice(dynamic value) { return value + value; }

        static int Main(string[] args) { return Run(Console.In, Console.Out, Console.Error, args); }

        public static int Run(TextReader input, TextWriter output, TextWriter error, string[] args) {
            var numbers = new List<int>();
            string line;
            output.Write(""Numbers: "");
            while ((line = input.ReadLine()) != null) {
                foreach (var part in line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)) {
                    int value;
                    if (int.TryParse(part, out value)) numbers.Add(value);
                    else output.WriteLine(""Hello, "" + part.Trim() + ""!"");
                }
            }
            numbers.Sort();
            output.WriteLine(string.Join("", "", numbers));
            output.WriteLine(""sum={0} avg={1:F3} max={2}"", numbers.Sum(), numbers.Average(), numbers.Max());
            var groups = from n in numbers
                         where n > 1
                         group n by n % 3 into g
                         orderby g.Key
                         select new { Key = g.Key, Count = g.Count(), Items = g.ToArray() };
            foreach (var g in groups) output.WriteLine($""{g.Key}: {g.Count} [{string.Join("" "", g.Items)}]"");

            var shapes = new List<IShape> { new Circle(1.5), new Rect { Width = 2, Height = 3.5 } };
            foreach (var shape in shapes.OrderByDescending(s => s.Area)) output.WriteLine(shape);

            var words = new Dictionary<string, int>();
            foreach (var word in ""the quick brown fox jumps over the lazy dog and the cat"".Split(' ')) {
                int count;
                words[word] = words.TryGetValue(word, out count) ? count + 1 : 1;
            }
            foreach (var pair in words.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(3))
                output.WriteLine(""{0,-6}|{1,3}"", pair.Key, pair.Value);

            var points = new SortedSet<Point> { new Point(2, 1), new Point(1, 5), new Point(1, 2) };
            output.WriteLine(string.Join("" "", points) + "" "" + Largest(3, 9, 4) + "" "" + Largest(""b"", ""a""));
            int x = 1, y = 2;
            Swap(ref x, ref y);
            var stack = new Stack<char>(""héllo wörld ✓"");
            var queue = new Queue<Color>(new[] { Color.Blue, Color.Red });
            var builder = new StringBuilder();
            while (stack.Count > 0) builder.Append(stack.Pop());
            builder.AppendFormat("" {0} {1} {2}"", queue.Dequeue(), (int)Color.Green, Enum.Parse(typeof(Color), ""Red""));
            output.WriteLine(builder.ToString().ToUpperInvariant());
            Node<string> list = null;
            for (int i = 0; i < 3; i++) list = new Node<string> { Value = i.ToString(), Next = list };
            for (var node = list; node != null; node = node.Next) output.Write(node.Value + (node.Next == null ? ""\n"" : "" -> ""));

            output.WriteLine(string.Join("","", Fibonacci(30).Where(f => f % 2 == 0)));
            BigInteger big = BigInteger.Pow(2, 100) * Factorial(10) - 1;
            output.WriteLine(""{0} {1} {2}"", big, big % 97, BigInteger.Parse(""123456789012345678901234567890"") / 7);
            if (args.Length > 0) output.WriteLine(Twice(args[0]));
            output.WriteLine(Math.Sqrt(2) + "" "" + Math.Round(2.5) + "" "" + 1.0 / 3 + "" "" + (0.1 + 0.2) + "" "" + 1e20 + "" "" + double.NaN);
            output.WriteLine(DateTime.MinValue.AddDays(x).ToString(""yyyy-MM-dd"") + "" "" + TimeSpan.FromSeconds(y));
            int[][] grid = new int[3][];
            int[,] matrix = new int[2, 2] { { 1, 2 }, { 3, 4 } };
            for (int i = 0; i < grid.Length; i++) grid[i] = Enumerable.Range(i, 3).Select(v => v * matrix[i % 2, 1]).ToArray();
            output.WriteLine(string.Join("";"", grid.Select(r => string.Join("","", r))));
            char c = 'a';
            switch (c) {
                case 'a': output.WriteLine((char)(c + 1)); break;
                default: output.WriteLine(c); break;
            }
            try {
                int[] small = new int[2];
                small[numbers.Count] = 1;
            } catch (IndexOutOfRangeException e) {
                error.WriteLine(e.Message);
            }
            try {
                try {
                    object o = ""text"";
                    output.WriteLine((int)o);
                } catch (InvalidCastException e) {
                    throw new InvalidOperationException(""wrapped"", e);
                } finally {
                    output.WriteLine(""finally"");
                }
            } catch (Exception e) {
                error.WriteLine(e);
            }
            Func<int, int> square = v => v * v;
            Action<string> print = output.WriteLine;
            print(square(12).ToString(""N0"") + "" "" + 255.ToString(""X"") + "" "" + 0.25.ToString(""P"") + "" "" + 'x'.ToString());
            return numbers.Count > 0 ? 0 : 1;
        }
    }
}
";

    // --- The request -------------------------------------------------------------------------

    // Reads the request from fd 3, `<w>\n` then w times `<len>\n<bytes>`, and not a byte more:
    // the pipe stays open for the runner's `go`. Declines a malformed one.
    static List<byte[]> ReadRequest()
    {
        long count = ReadNumber();
        if (count > 4096)
            Exit(Decline);
        var fields = new List<byte[]>();
        for (long i = 0; i < count; i++) {
            long size = ReadNumber();
            if (size > 1 << 24)
                Exit(Decline);
            fields.Add(ReadExactly((int)size));
        }
        return fields;
    }

    // Waits for the runner's `go` on fd 3 (after the marker for the status just written).
    static void AwaitGo()
    {
        byte[] go = ReadExactly(3);
        if (go[0] != (byte)'g' || go[1] != (byte)'o' || go[2] != (byte)'\n')
            Exit(Decline);
    }

    // An ASCII decimal number of 1 to 20 digits followed by '\n'.
    static long ReadNumber()
    {
        long value = 0;
        for (int digits = 0; ; digits++) {
            byte b = ReadExactly(1)[0];
            if (b == (byte)'\n' && digits > 0)
                return value;
            if (b < (byte)'0' || b > (byte)'9' || digits == 20 || value > (long.MaxValue - 9) / 10)
                Exit(Decline);
            value = value * 10 + (b - '0');
        }
    }

    // Exactly `size` bytes from fd 3; declines if the pipe ends first.
    static byte[] ReadExactly(int size)
    {
        var data = new byte[size];
        var buffer = new byte[Math.Min(Math.Max(size, 1), 65536)];
        for (int done = 0; done < size;) {
            long n = (long)read(RequestFd, buffer, (IntPtr)Math.Min(buffer.Length, size - done));
            if (n < 0 && Marshal.GetLastWin32Error() == EINTR)
                continue;
            if (n <= 0)
                Exit(Decline);
            Array.Copy(buffer, 0, data, done, (int)n);
            done += (int)n;
        }
        return data;
    }

    // argv for mono_jit_exec: /tmp/main.exe, then the arguments' bytes as they came (a fresh
    // mono gets them from its own argv, so it is the runtime that checks their encoding), then
    // NULL. The strings live until the process ends.
    static IntPtr[] Argv(List<byte[]> request)
    {
        var argv = new IntPtr[request.Count + 1];
        argv[0] = CString(Encoding.UTF8.GetBytes(Program));
        for (int i = 1; i < request.Count; i++) {
            if (Array.IndexOf(request[i], (byte)0) >= 0)
                Exit(Decline);
            argv[i] = CString(request[i]);
        }
        argv[request.Count] = IntPtr.Zero;
        return argv;
    }

    static IntPtr CString(byte[] bytes)
    {
        IntPtr p = Marshal.AllocHGlobal(bytes.Length + 1);
        Marshal.Copy(bytes, 0, p, bytes.Length);
        Marshal.WriteByte(p, bytes.Length, 0);
        return p;
    }

    // --- What the program uses ---------------------------------------------------------------

    // Members through which a program would see this process rather than a fresh one: a walk
    // of the whole stack, the entry assembly, the domain (its name, base directory and
    // assemblies), the process and the heap. Matched against the program's references.
    static readonly HashSet<string> DeniedTypes = new HashSet<string> {
        "System.Diagnostics.StackTrace",
        "System.Diagnostics.StackFrame",
        "System.Diagnostics.Process",
    };

    // Isolated storage is kept per entry assembly.
    static readonly HashSet<string> DeniedNamespaces = new HashSet<string> {
        "System.IO.IsolatedStorage",
    };

    static readonly HashSet<string> DeniedMembers = new HashSet<string> {
        "System.Environment::get_StackTrace",
        "System.Environment::get_WorkingSet",
        "System.Environment::FailFast",
        "System.Reflection.Assembly::GetEntryAssembly",
        "System.Reflection.Assembly::GetCallingAssembly",
        "System.AppContext::GetData",
        "System.GC::GetTotalMemory",
        "System.GC::CollectionCount",
        "System.GC::GetAllocatedBytesForCurrentThread",
        "System.Diagnostics.Debug::Assert",
        "System.Diagnostics.Debug::Fail",
        "System.Diagnostics.Trace::Assert",
        "System.Diagnostics.Trace::Fail",
    };

    // Of System.AppDomain, only what cannot tell the difference.
    static readonly HashSet<string> AllowedAppDomainMembers = new HashSet<string> {
        "get_CurrentDomain", "get_BaseDirectory",
        "add_UnhandledException", "remove_UnhandledException",
        "add_ProcessExit", "remove_ProcessExit",
        "add_FirstChanceException", "remove_FirstChanceException",
    };

    // True if the compiled program references nothing above.
    static bool Scan(string path)
    {
        var references = MetadataReferences.Read(File.ReadAllBytes(path));
        foreach (string type in references.Types) {
            int dot = type.LastIndexOf('.');
            string ns = dot < 0 ? "" : type.Substring(0, dot);
            if (DeniedTypes.Contains(type) || DeniedNamespaces.Contains(ns))
                return false;
        }
        foreach (string member in references.Members) {
            if (DeniedMembers.Contains(member))
                return false;
            if (member.StartsWith("System.AppDomain::", StringComparison.Ordinal)
                && !AllowedAppDomainMembers.Contains(member.Substring("System.AppDomain::".Length)))
                return false;
        }
        return true;
    }

    // --- The runner's pipes and the runtime --------------------------------------------------

    // True if fd 3 has the request (or its end) to read now.
    static bool RequestPending()
    {
        var fds = new PollFd[] { new PollFd { fd = RequestFd, events = POLLIN } };
        return poll(fds, (UIntPtr)1, 0) > 0;
    }

    // One write(2) per status line, as the runner reads them.
    static void WriteStatus(string line)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(line);
        for (;;) {
            long n = (long)write(StatusFd, bytes, (IntPtr)bytes.Length);
            if (n == bytes.Length)
                return;
            if (n < 0 && Marshal.GetLastWin32Error() == EINTR)
                continue;
            throw new IOException("write fd 4");
        }
    }

    // The compiler's text on stderr, in UTF-8 as the fresh mcs's Console.Error writes it.
    static void WriteStderr(string text)
    {
        byte[] bytes = new UTF8Encoding(false).GetBytes(text);
        while (bytes.Length > 0) {
            long n = (long)write(2, bytes, (IntPtr)bytes.Length);
            if (n < 0 && Marshal.GetLastWin32Error() == EINTR)
                continue;
            if (n <= 0)
                throw new IOException("write fd 2");
            var rest = new byte[bytes.Length - n];
            Array.Copy(bytes, n, rest, 0, rest.Length);
            bytes = rest;
        }
    }

    // Ends the process before the program runs: a decline, or mcs's status after its errors
    // (written by then). Nothing of the program has run, so there is nothing to finalize or
    // shut down: _exit spares the runtime its cleanup.
    static void Exit(int status)
    {
        _exit(status);
    }

    const int EINTR = 4;
    const int O_WRONLY = 1;
    const short POLLIN = 1;

    [StructLayout(LayoutKind.Sequential)]
    struct PollFd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [DllImport("libc", SetLastError = true)]
    static extern IntPtr read(int fd, byte[] buffer, IntPtr count);

    [DllImport("libc", SetLastError = true)]
    static extern IntPtr write(int fd, byte[] buffer, IntPtr count);

    [DllImport("libc", SetLastError = true)]
    static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    static extern int poll([In, Out] PollFd[] fds, UIntPtr count, int timeout);

    [DllImport("libc")]
    static extern void _exit(int status);

    // Mono's embedding API, exported by the mono executable itself.
    [DllImport("__Internal")]
    static extern IntPtr mono_domain_get();

    [DllImport("__Internal")]
    static extern IntPtr mono_domain_assembly_open(IntPtr domain, string name);

    [DllImport("__Internal")]
    static extern int mono_jit_exec(IntPtr domain, IntPtr assembly, int argc, IntPtr[] argv);
}

// The type and member references of an assembly, read from its metadata tables (ECMA-335
// II.22 and II.24) without loading it: "Namespace.Type" for each TypeRef (nested types as
// "Outer+Inner") and "Namespace.Type::Member" for each MemberRef of such a type.
sealed class MetadataReferences
{
    public readonly List<string> Types = new List<string>();
    public readonly List<string> Members = new List<string>();

    const int TypeRef = 0x01, TypeDef = 0x02, Field = 0x04, MethodDef = 0x06, Param = 0x08;
    const int ModuleRef = 0x1A, TypeSpec = 0x1B, AssemblyRef = 0x23, Module = 0x00;

    readonly byte[] pe;

    MetadataReferences(byte[] pe)
    {
        this.pe = pe;
    }

    public static MetadataReferences Read(byte[] pe)
    {
        var references = new MetadataReferences(pe);
        references.ReadTables();
        return references;
    }

    int U16(int offset) { return pe[offset] | pe[offset + 1] << 8; }
    int I32(int offset) { return pe[offset] | pe[offset + 1] << 8 | pe[offset + 2] << 16 | pe[offset + 3] << 24; }
    long I64(int offset) { return (uint)I32(offset) | (long)I32(offset + 4) << 32; }

    void ReadTables()
    {
        // PE: the CLI header's RVA is data directory 14; section headers map RVAs to offsets.
        int peHeader = I32(0x3C);
        if (I32(peHeader) != 0x4550)
            throw new BadImageFormatException("no PE signature");
        int coff = peHeader + 4;
        int sectionCount = U16(coff + 2);
        int optional = coff + 20;
        int directories = optional + (U16(optional) == 0x20B ? 112 : 96);
        int sections = optional + U16(coff + 16);
        Func<int, int> offsetOf = rva => {
            for (int i = 0; i < sectionCount; i++) {
                int header = sections + 40 * i;
                int address = I32(header + 12), size = Math.Max(I32(header + 8), I32(header + 16));
                if (rva >= address && rva < address + size)
                    return rva - address + I32(header + 20);
            }
            throw new BadImageFormatException("RVA outside the sections");
        };
        int cli = offsetOf(I32(directories + 14 * 8));
        int root = offsetOf(I32(cli + 8));
        if (I32(root) != 0x424A5342)
            throw new BadImageFormatException("no metadata signature");

        // The metadata root's stream headers: #~ (the tables) and #Strings.
        int position = root + 16 + I32(root + 12);
        int streamCount = U16(position + 2);
        position += 4;
        int tables = -1, strings = -1;
        for (int i = 0; i < streamCount; i++) {
            int offset = I32(position), end = position + 8;
            while (pe[end] != 0)
                end++;
            string name = Encoding.ASCII.GetString(pe, position + 8, end - position - 8);
            if (name == "#~")
                tables = root + offset;
            else if (name == "#Strings")
                strings = root + offset;
            position = position + 8 + ((end - position - 8 + 4) & ~3);
        }
        if (tables < 0 || strings < 0)
            throw new BadImageFormatException("no #~ or #Strings stream");

        int heapSizes = pe[tables + 6];
        long valid = I64(tables + 8);
        var rows = new int[64];
        position = tables + 24;
        for (int t = 0; t < 64; t++) {
            if ((valid >> t & 1) != 0) {
                rows[t] = I32(position);
                position += 4;
            }
        }
        int stringIndex = (heapSizes & 1) != 0 ? 4 : 2;
        int guidIndex = (heapSizes & 2) != 0 ? 4 : 2;
        int blobIndex = (heapSizes & 4) != 0 ? 4 : 2;
        Func<int, int> index = t => rows[t] < 0x10000 ? 2 : 4;
        Func<int, int[], int> coded = (bits, targets) => {
            int most = 0;
            foreach (int t in targets)
                most = Math.Max(most, rows[t]);
            return most < 1 << (16 - bits) ? 2 : 4;
        };
        int resolutionScope = coded(2, new[] { Module, ModuleRef, AssemblyRef, TypeRef });
        int typeDefOrRef = coded(2, new[] { TypeDef, TypeRef, TypeSpec });
        int memberRefParent = coded(3, new[] { TypeDef, TypeRef, ModuleRef, MethodDef, TypeSpec });

        // Row sizes of the tables before MemberRef (0x0A), which come first in the stream.
        var rowSize = new int[] {
            2 + stringIndex + 3 * guidIndex,                                    // Module
            resolutionScope + 2 * stringIndex,                                  // TypeRef
            4 + 2 * stringIndex + typeDefOrRef + index(Field) + index(MethodDef), // TypeDef
            index(Field),                                                       // FieldPtr
            2 + stringIndex + blobIndex,                                        // Field
            index(MethodDef),                                                   // MethodPtr
            8 + stringIndex + blobIndex + index(Param),                         // MethodDef
            index(Param),                                                       // ParamPtr
            4 + stringIndex,                                                    // Param
            index(TypeDef) + typeDefOrRef,                                      // InterfaceImpl
        };
        var start = new int[rowSize.Length + 1];
        start[0] = position;
        for (int t = 0; t < rowSize.Length; t++)
            start[t + 1] = start[t] + rows[t] * rowSize[t];

        Func<int, int, int> value = (offset, size) => size == 2 ? U16(offset) : I32(offset);
        Func<int, string> text = offset => {
            int at = strings + offset, end = at;
            while (pe[end] != 0)
                end++;
            return Encoding.UTF8.GetString(pe, at, end - at);
        };

        // TypeRef: ResolutionScope, TypeName, TypeNamespace.
        var typeNames = new string[rows[TypeRef] + 1];
        var scopes = new int[rows[TypeRef] + 1];
        for (int i = 1; i <= rows[TypeRef]; i++) {
            int row = start[TypeRef] + (i - 1) * rowSize[TypeRef];
            scopes[i] = value(row, resolutionScope);
            string name = text(value(row + resolutionScope, stringIndex));
            string ns = text(value(row + resolutionScope + stringIndex, stringIndex));
            typeNames[i] = ns.Length > 0 ? ns + "." + name : name;
        }
        for (int i = 1; i <= rows[TypeRef]; i++) {
            // A nested type's scope is its enclosing TypeRef (tag 3).
            string name = typeNames[i];
            for (int scope = scopes[i], depth = 0; (scope & 3) == 3 && depth < 32; depth++) {
                int outer = scope >> 2;
                if (outer < 1 || outer > rows[TypeRef])
                    break;
                name = typeNames[outer] + "+" + name;
                scope = scopes[outer];
            }
            Types.Add(name);
        }

        // MemberRef: Class (MemberRefParent), Name, Signature.
        int memberRefs = start[rowSize.Length];
        for (int i = 0; i < rows[0x0A]; i++) {
            int row = memberRefs + i * (memberRefParent + stringIndex + blobIndex);
            int parent = value(row, memberRefParent);
            if ((parent & 7) != 1)
                continue;  // not a TypeRef: a generic instance, a vararg method, a global
            int type = parent >> 3;
            if (type >= 1 && type <= rows[TypeRef])
                Members.Add(Types[type - 1] + "::" + text(value(row + memberRefParent, stringIndex)));
        }
    }
}
