package codex;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import jdk.internal.vm.annotation.Hidden;

/**
 * The warm runtime of the Java image (see "Warm runtimes" in images/README.md).
 *
 * Started before the code exists, it loads javac into this JVM and exercises
 * both on a few programs (see ROUNDS), then waits for its request on fd 3:
 * /tmp/<File>.java, the class to run, the program's arguments. It compiles the
 * file in process exactly as the fresh `javac -d /tmp /tmp/<File>.java` would
 * (the same javac entry point, status and diagnostics; class files in /tmp),
 * loads the class through the system class loader, whose class path is /tmp as
 * in `java -cp /tmp <Class>`, and calls its main method on the JVM's main
 * thread. Progress goes to the runner on fd 4: compile, compile_error <status>
 * or run, each followed by the runner's "go" on fd 3.
 *
 * Whatever it cannot reproduce exactly it declines, before it writes anything
 * but "ready": it exits with DECLINE and the runner runs the fresh javac and
 * java instead. Hence it compiles first and writes compile (and then javac's
 * output) once it knows the class can be launched.
 *
 * This class is on the boot class path (-Xbootclasspath/a) so that the JVM
 * honours @Hidden on main: with the method handle's own frames, which are
 * hidden too, no frame below the program's main shows in a stack trace, and
 * an exception that escapes main takes the launcher's own path ("Exception in
 * thread "main" ...", exit status 1 once the other non-daemon threads end). A
 * class on the boot class path cannot link against javax.tools (that module
 * is the platform class loader's), so javac is called through reflection.
 * Java cannot close a descriptor it did not open: fds 3 and 4 stay open in
 * the program (the runner has closed the other ends).
 */
public final class Warm {
    /** The exit status of a declined request; the runner ignores it. */
    private static final int DECLINE = 70;

    private static final String REQUEST = "/proc/self/fd/3";
    private static final String STATUS = "/proc/self/fd/4";
    private static final Path TMP = Path.of("/tmp");

    /** Scratch space for the warm-up; a top-level name starting with '.' is no artifact. */
    private static final Path SCRATCH = TMP.resolve(".codex-warm");

    private Warm() {}

    /** What main runs once the request is served: the program's class, main and arguments. */
    private record Program(Class<?> mainClass, Method main, String[] args) {}

    /**
     * Serves one request, then runs the program in this frame. Hidden, like
     * the method handle's frames between it and the program's main.
     */
    @Hidden
    public static void main(String[] ignored) throws Throwable {
        Program program = serve();
        initialize(program.mainClass());
        MethodHandle main = MethodHandles.lookup().unreflect(program.main());
        try {
            invoke(main, program.args());
        } catch (Throwable e) {
            // Only a preallocated OutOfMemoryError shows hidden frames; trim them.
            trim(e);
            throw e;
        }
    }

    /** Calls MAIN with ARGS: hidden, its call site linked by the warm-up. */
    @Hidden
    private static void invoke(MethodHandle main, String[] args) throws Throwable {
        main.invokeExact(args);
    }

    /** Warms up, then serves the request; returns once the runner said go to "run". */
    private static Program serve() {
        try {
            FileInputStream request = new FileInputStream(REQUEST);
            FileOutputStream status = new FileOutputStream(STATUS);
            Javac javac = new Javac();
            warmUp(javac, request);
            status(status, "ready");
            return compileAndLoad(javac, readRequest(request), request, status);
        } catch (Throwable e) {
            // Anything unexpected: the fresh javac and java will tell.
            Runtime.getRuntime().halt(DECLINE);
            throw new AssertionError(e);
        }
    }

    /**
     * Compiles the request's file and finds its class's main, then reports:
     * compile, javac's diagnostics, and run or compile_error. Everything that
     * can decline happens before the first of these lines, so a declined
     * request leaves no trace but the class files, which the fresh javac
     * writes again.
     */
    private static Program compileAndLoad(
            Javac javac, List<String> argv, InputStream request, OutputStream status) throws Exception {
        if (argv.size() < 2) {
            throw decline();
        }
        String source = argv.get(0);
        String className = argv.get(1);
        String[] args = argv.subList(2, argv.size()).toArray(new String[0]);
        String fileName = source.startsWith("/tmp/") ? source.substring(5) : "";
        if (!fileName.endsWith(".java") || !isIdentifier(fileName.substring(0, fileName.length() - 5))
                || !isIdentifier(className)) {
            throw decline();
        }
        String text = new String(Files.readAllBytes(Path.of(source)), StandardCharsets.UTF_8);
        if (declaresPackage(text)) {
            throw decline(); // the class would not be /tmp/<Class>.class
        }
        for (String name : REVEALING) {
            if (text.contains(name)) {
                throw decline();
            }
        }

        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int exit = javac.compile(diagnostics, "-d", "/tmp", source);
        if (exit != 0 && exit != 1) {
            throw decline(); // bad usage, out of memory, a crash: the fresh javac says it exactly
        }
        Class<?> mainClass = null;
        Method main = null;
        if (exit == 0) {
            // The launcher's checks (LauncherHelper.checkAndLoadMain); failing any, it
            // prints a message of its own: decline and let it.
            mainClass = Class.forName(className, false, ClassLoader.getSystemClassLoader());
            main = mainClass.getMethod("main", String[].class);
            if (!Modifier.isStatic(main.getModifiers()) || main.getReturnType() != void.class) {
                throw decline();
            }
            main.setAccessible(true); // the class need not be public
        }

        status(status, "compile");
        go(request);
        System.err.write(diagnostics.toByteArray());
        System.err.flush();
        if (exit == 1) {
            status(status, "compile_error 1");
            Runtime.getRuntime().halt(1);
        }

        StringBuilder command = new StringBuilder(className);
        for (String arg : args) {
            command.append(' ').append(arg);
        }
        System.setProperty("sun.java.command", command.toString());
        status(status, "run");
        go(request);
        request.close();
        status.close();
        return new Program(mainClass, main, args);
    }

    /**
     * Runs the class's static initialisers before main, as the launcher does
     * (JNI's GetStaticMethodID). If they throw, it reports like the launcher:
     * "Exception in thread "main" " and the stack trace without any frame
     * below the initialiser, then exit status 1 once the other non-daemon
     * threads end, with no uncaught-exception handler involved.
     */
    private static void initialize(Class<?> mainClass) throws Throwable {
        try {
            Class.forName(mainClass.getName(), true, mainClass.getClassLoader());
        } catch (Throwable e) {
            trim(e);
            if (!(e instanceof ThreadDeath)) {
                System.err.print("Exception in thread \"" + Thread.currentThread().getName() + "\" ");
                e.printStackTrace();
            }
            Thread.currentThread().setUncaughtExceptionHandler((thread, reported) -> {});
            throw e;
        }
    }

    /**
     * Drops the frames of this class (and of Class.forName and the method
     * handles it reaches the program through) from the bottom of every stack
     * trace in E's chain that ends in them: the launcher has no Java frame
     * below the program. Stack traces that end in the program's frames stay
     * as they are.
     */
    private static void trim(Throwable e) {
        try {
            trim(e, Collections.newSetFromMap(new IdentityHashMap<>()));
        } catch (Throwable again) {
            // out of memory: the trace stays untrimmed
        }
    }

    private static void trim(Throwable e, Set<Throwable> seen) {
        if (e == null || !seen.add(e)) {
            return;
        }
        StackTraceElement[] trace = e.getStackTrace();
        int n = trace.length;
        while (n > 0 && isOurs(trace[n - 1])) {
            n--;
        }
        if (n < trace.length) {
            e.setStackTrace(Arrays.copyOf(trace, n));
        }
        trim(e.getCause(), seen);
        for (Throwable suppressed : e.getSuppressed()) {
            trim(suppressed, seen);
        }
    }

    private static boolean isOurs(StackTraceElement frame) {
        String name = frame.getClassName();
        return name.equals(Warm.class.getName()) || name.startsWith(Warm.class.getName() + "$")
                || name.startsWith("java.lang.invoke.")
                || name.equals("java.lang.Class") && frame.getMethodName().startsWith("forName");
    }

    // ---- the warm-up ----------------------------------------------------------

    /** One round of the warm-up: a program to compile in SCRATCH and, if it compiles, run. */
    private record Round(String className, String source, String input) {}

    /**
     * Compiles and runs ROUNDS' programs through the same javac entry point
     * and the same kind of method handle as a request, with System.in, out
     * and err swapped for the program's. A request that has come ends it at the
     * next step (a round's compile is not cut short); a warm-up that fails only
     * leaves the JVM colder.
     */
    private static void warmUp(Javac javac, InputStream request) {
        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        try {
            Files.createDirectories(SCRATCH);
            URL[] classPath = {SCRATCH.toUri().toURL()};
            System.setOut(discard);
            System.setErr(discard);
            for (Round round : ROUNDS) {
                if (request.available() > 0) {
                    break;
                }
                Path source = Files.writeString(SCRATCH.resolve(round.className() + ".java"), round.source());
                if (javac.compile(OutputStream.nullOutputStream(), "-d", SCRATCH.toString(), source.toString()) != 0
                        || request.available() > 0) {
                    continue;
                }
                try (URLClassLoader loader = new URLClassLoader(classPath)) {
                    Class<?> c = Class.forName(round.className(), false, loader);
                    Method main = c.getMethod("main", String[].class);
                    main.setAccessible(true);
                    Class.forName(c.getName(), true, loader);
                    System.setIn(new ByteArrayInputStream(round.input().getBytes(StandardCharsets.UTF_8)));
                    invoke(MethodHandles.lookup().unreflect(main), new String[] {"warm", "up"});
                } catch (Throwable e) {
                    e.printStackTrace(); // into discard: the launcher's printing path, warm
                }
            }
        } catch (Throwable e) {
            // colder, not broken
        } finally {
            System.setIn(in);
            System.setOut(out);
            System.setErr(err);
            deleteScratch();
        }
        System.gc(); // the warm-up's garbage and class loaders, before the wait
    }

    private static void deleteScratch() {
        try (var files = Files.walk(SCRATCH)) {
            files.sorted(Collections.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // nothing there, or it stays
        }
    }

    /** A first program, quick to compile cold: input, a loop, an array, formatting. */
    private static final String SMALL = """
            import java.util.*;

            public class Small {
                public static void main(String[] args) {
                    Scanner in = new Scanner(System.in);
                    System.out.print("How many? ");
                    int n = in.nextInt();
                    int[] squares = new int[n];
                    long sum = 0;
                    for (int i = 0; i < n; i++) {
                        squares[i] = i * i;
                        sum += squares[i];
                    }
                    System.out.println("Squares: " + Arrays.toString(squares) + ", sum " + sum);
                    System.out.printf("average %.2f%n", (double) sum / n);
                }
            }
            """;

    /** A program like the ones people run: input, collections, lambdas, formatting, an exception. */
    private static final String WARM_UP = """
            import java.io.*;
            import java.util.*;
            import java.util.function.*;
            import java.util.stream.*;

            public class WarmUp {
                record Point(int x, int y) {
                    double length() { return Math.sqrt(x * x + y * y); }
                }

                enum Shape { SQUARE, CIRCLE }

                interface Animal { String sound(); }

                static class Dog implements Animal {
                    public String sound() { return "woof"; }
                }

                static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

                static <T extends Comparable<T>> T max(List<T> list) {
                    T best = list.get(0);
                    for (T t : list) if (t.compareTo(best) > 0) best = t;
                    return best;
                }

                public static void main(String[] args) throws IOException {
                    Scanner in = new Scanner(System.in);
                    System.out.print("name? ");
                    String name = in.nextLine();
                    int n = in.nextInt();
                    double d = in.nextDouble();
                    System.out.println("Hello, " + name + "! " + n + " " + d);
                    System.out.printf("%d %.2f %s %5s|%-5s|%n", n, d, name, "a", "b");
                    System.out.println(String.format("%08.3f", d) + String.join(",", args));

                    List<Integer> numbers = new ArrayList<>();
                    for (int i = 0; i < 200; i++) numbers.add((i * 37) % 101);
                    Collections.sort(numbers);
                    Map<Integer, Long> counts = numbers.stream()
                            .collect(Collectors.groupingBy(x -> x % 7, TreeMap::new, Collectors.counting()));
                    System.out.println(counts + " " + max(numbers) + " " + numbers.subList(0, 5));
                    int sum = IntStream.rangeClosed(1, 100).filter(i -> i % 3 == 0).sum();
                    String joined = Stream.of("b", "a", "c").sorted().map(String::toUpperCase)
                            .collect(Collectors.joining("-", "[", "]"));
                    Function<Integer, Integer> square = x -> x * x;
                    BiFunction<Integer, Integer, Integer> add = Integer::sum;
                    Supplier<List<String>> supplier = ArrayList::new;
                    List<String> words = supplier.get();
                    words.add("x");
                    System.out.println(sum + joined + square.apply(7) + add.apply(2, 3) + words);

                    Map<String, Integer> freq = new HashMap<>();
                    for (String w : "the quick brown fox jumps over the lazy dog the end".split(" ")) {
                        freq.merge(w, 1, Integer::sum);
                    }
                    Set<String> keys = new TreeSet<>(freq.keySet());
                    Deque<Integer> stack = new ArrayDeque<>();
                    PriorityQueue<Integer> queue = new PriorityQueue<>(Comparator.reverseOrder());
                    for (int i = 0; i < 20; i++) { stack.push(i); queue.add(i * 3 % 11); }
                    System.out.println(freq.get("the") + " " + keys + " " + stack.pop() + " " + queue.poll());

                    int[] array = new int[50];
                    for (int i = 0; i < array.length; i++) array[i] = (i * 17) % 23;
                    Arrays.sort(array);
                    int[][] grid = new int[5][5];
                    grid[2][3] = fib(15);
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < 10; i++) sb.append(i).append(',');
                    sb.reverse();
                    System.out.println(Arrays.toString(array) + Arrays.deepToString(grid) + sb);

                    Point p = new Point(3, 4);
                    Shape shape = Shape.valueOf("CIRCLE");
                    String text = switch (shape) {
                        case SQUARE -> "square";
                        case CIRCLE -> "circle";
                    };
                    Animal animal = new Dog();
                    Object o = p;
                    if (o instanceof Point q && q.x() > 0) System.out.println(q + " " + p.length());
                    System.out.println(text + " " + animal.sound() + " " + Math.max(3, 7) + " " + Math.abs(-2.5)
                            + " " + Integer.parseInt("42") + " " + Double.toString(1.5) + " " + (char) ('a' + 2)
                            + " " + "héllo wörld ✓".toUpperCase() + " " + Long.MAX_VALUE + " " + 7 / 2.0);

                    BufferedReader reader = new BufferedReader(new InputStreamReader(System.in));
                    String line;
                    while ((line = reader.readLine()) != null) {
                        StringTokenizer st = new StringTokenizer(line);
                        while (st.hasMoreTokens()) System.out.print(st.nextToken().length() + " ");
                    }
                    System.out.println();
                    System.err.println("warning: to stderr");

                    try {
                        Object[] objects = new Integer[1];
                        objects[0] = "s";
                    } catch (ArrayStoreException e) {
                        System.out.println("caught " + e.getMessage());
                    }
                    try {
                        throw new IllegalStateException("wrapped", new RuntimeException("cause"));
                    } catch (IllegalStateException e) {
                        e.printStackTrace();
                    }
                    int[] empty = new int[0];
                    System.out.println(empty[args.length]);
                }
            }
            """;


    /** A program with errors, a warning and an unchecked note: javac's diagnostics, warm. */
    private static final String BROKEN = """
            import java.util.*;

            public class Broken {
                @Deprecated static void old() {}

                public static void main(String[] args) {
                    List raw = new ArrayList();
                    raw.add("x");
                    List<String> list = raw;
                    int x = "not a number";
                    undefined(list);
                    String s = list.get(0)
                    old();
                }
            }
            """;

    /**
     * The warm-up: a small program first (a request that comes early waits for
     * little), then javac and the JVM on a larger one, javac's diagnostics on
     * one with errors, and the larger one again while it still speeds up.
     */
    private static final List<Round> ROUNDS = List.of(
            new Round("Small", SMALL, "12\n"),
            new Round("WarmUp", WARM_UP, "world\n42 3.25\nsome more lines\nof input\n"),
            new Round("Broken", BROKEN, ""),
            new Round("WarmUp", WARM_UP, "world\n42 3.25\nsome more lines\nof input\n"),
            new Round("WarmUp", WARM_UP, "world\n42 3.25\nsome more lines\nof input\n"));

    // ---- javac ----------------------------------------------------------------

    /**
     * javax.tools' JavaCompiler through reflection. Its run method is javac's
     * command-line entry point (com.sun.tools.javac.Main.compile): the same
     * options, diagnostics, "1 error" line and exit status as the javac command.
     */
    private static final class Javac {
        private final Object tool;
        private final Method run;
        private final String classPath;

        Javac() throws ReflectiveOperationException {
            ClassLoader platform = ClassLoader.getPlatformClassLoader();
            tool = Class.forName("javax.tools.ToolProvider", true, platform)
                    .getMethod("getSystemJavaCompiler").invoke(null);
            run = Class.forName("javax.tools.Tool", true, platform).getMethod(
                    "run", InputStream.class, OutputStream.class, OutputStream.class, String[].class);
            // The javac command's default class path: $CLASSPATH, else the working directory.
            String env = System.getenv("CLASSPATH");
            classPath = env != null ? env : ".";
        }

        /** javac -proc:none -classpath <as the command> OPTIONS...; its diagnostics to OUT. */
        int compile(OutputStream out, String... options) throws Exception {
            String[] argv = new String[options.length + 3];
            argv[0] = "-proc:none";
            argv[1] = "-classpath";
            argv[2] = classPath;
            System.arraycopy(options, 0, argv, 3, options.length);
            try {
                return (Integer) run.invoke(tool, null, out, out, argv);
            } catch (InvocationTargetException e) {
                throw decline();
            }
        }
    }

    // ---- the pipes ------------------------------------------------------------

    private static void status(OutputStream status, String line) throws IOException {
        status.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        status.flush();
    }

    /**
     * The request: <w>\n, then w x (<len>\n<bytes>), UTF-8. It reads no byte
     * past it: the go lines follow on the same pipe.
     */
    private static List<String> readRequest(InputStream in) throws Exception {
        long count = number(in);
        if (count > 256) {
            throw decline();
        }
        List<String> argv = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            long len = number(in);
            if (len > 1 << 20) {
                throw decline();
            }
            byte[] bytes = new byte[(int) len];
            for (int at = 0, n; at < bytes.length; at += n) {
                n = in.read(bytes, at, bytes.length - at);
                if (n < 0) {
                    throw decline();
                }
            }
            try {
                argv.add(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString());
            } catch (CharacterCodingException e) {
                throw decline();
            }
        }
        return argv;
    }

    /** ASCII decimal digits (1 to 20), then '\n'. */
    private static long number(InputStream in) throws Exception {
        long value = 0;
        int digits = 0;
        for (int c; (c = in.read()) != '\n'; digits++) {
            if (c < '0' || c > '9' || digits == 20) {
                throw decline();
            }
            value = Math.addExact(Math.multiplyExact(value, 10), c - '0');
        }
        if (digits == 0) {
            throw decline();
        }
        return value;
    }

    /** Waits for the runner's "go" line, written once its marker is out. */
    private static void go(InputStream request) throws Exception {
        byte[] line = new byte[3];
        for (int at = 0, n; at < line.length; at += n) {
            n = request.read(line, at, line.length - at);
            if (n < 0) {
                throw decline();
            }
        }
        if (line[0] != 'g' || line[1] != 'o' || line[2] != '\n') {
            throw decline();
        }
    }

    // ---- the source -----------------------------------------------------------

    private static boolean isIdentifier(String s) {
        if (s.isEmpty() || !Character.isJavaIdentifierStart(s.codePointAt(0))) {
            return false;
        }
        return s.codePoints().allMatch(Character::isJavaIdentifierPart);
    }

    /**
     * What a program can see of this JVM that a fresh one would show
     * otherwise: the main thread's frames below main in a thread dump, the
     * JVM's arguments, uptime, class counts and memory pools, the process's
     * command line and descriptors, the heap's current size, identity hash
     * codes asked for by name, this class. A source that mentions any of these
     * (in code or not) is declined.
     */
    private static final List<String> REVEALING = List.of(
            "getAllStackTraces", "SHOW_HIDDEN_FRAMES", "ManagementFactory", "ProcessHandle",
            "/proc/", "totalMemory", "freeMemory", "identityHashCode", "codex.Warm");

    /**
     * Whether the compilation unit's first token is "package" (after white
     * space and comments). A package hidden behind a Unicode escape is caught
     * later: the class is then not in /tmp and the request is declined.
     */
    private static boolean declaresPackage(String s) {
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (s.startsWith("//", i)) {
                int end = s.indexOf('\n', i);
                i = end < 0 ? s.length() : end + 1;
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
            } else {
                return s.startsWith("package", i)
                        && (i + 7 == s.length() || !Character.isJavaIdentifierPart(s.charAt(i + 7)));
            }
        }
        return false;
    }

    /** The exception that ends serve in a decline (caught there). */
    private static Exception decline() {
        return new Exception("declined");
    }
}
