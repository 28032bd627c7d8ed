package codex;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;

/**
 * A Java agent (-javaagent:/opt/codex/autoflush.jar) that makes System.out and
 * System.err write through at once, in UTF-8.
 *
 * The JVM's own System.out buffers until a newline, so a prompt printed with
 * System.out.print("name? ") would not show before the program blocks reading
 * stdin. These PrintStreams sit directly on the file descriptors: every print
 * is one write(2). The user's classes are untouched, so stack traces still
 * point at Main.
 */
public final class AutoFlush {
    private AutoFlush() {}

    public static void premain(String args, Instrumentation inst) {
        premain(args);
    }

    public static void premain(String args) {
        System.setOut(writeThrough(FileDescriptor.out));
        System.setErr(writeThrough(FileDescriptor.err));
    }

    private static PrintStream writeThrough(FileDescriptor fd) {
        return new PrintStream(new FileOutputStream(fd), true, StandardCharsets.UTF_8);
    }
}
