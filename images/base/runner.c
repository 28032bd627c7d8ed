/*
 * codex-runner: the entrypoint of every sandbox image.
 *
 * It reads exactly one frame from stdin (see images/README.md), writes the
 * source to /tmp/<file name>, optionally compiles it, then execs the program,
 * which inherits the rest of stdin untouched.  Markers for the engine go to
 * fd 2 as "\x1e" "codex:" <nonce> ":" <event> "\n", one write(2) each.
 *
 * Only read(2) and write(2) are used on fds 0 and 2: no stdio buffering, and
 * no read ever asks for more bytes than the frame still needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAGIC        "CODEX1\n"
#define NONCE_LEN    32
#define MAX_CODE     (16u << 20)  /* 16 MiB */
#define MAX_FIELD    (64u << 10)  /* 64 KiB */
#define MAX_ARGS     256u
#define MAX_NUMBER   20           /* digits in a number line, before '\n' */
#define MARKER_MAX   4096         /* <= PIPE_BUF: a marker is never split */
#define WORKDIR      "/tmp/"

#define EXIT_BAD     125
#define EXIT_NOEXEC  127

static char nonce[NONCE_LEN + 1]; /* empty until a valid nonce was read */

/* ---- output ------------------------------------------------------------ */

/* write(2) the whole buffer, retrying short writes and EINTR. */
static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Write "\x1e" "codex:" NONCE ":" EVENT "\n" in one write(2).  Control bytes
 * in EVENT become '?' so that the marker is always exactly one line; an
 * over-long event is cut so that the marker fits in PIPE_BUF. */
static void marker(const char *fmt, ...)
{
    char buf[MARKER_MAX];
    size_t head, len;
    va_list ap;
    int n;

    if (nonce[0] == '\0')
        return;
    head = (size_t)snprintf(buf, sizeof buf, "\x1e" "codex:%s:", nonce);
    va_start(ap, fmt);
    n = vsnprintf(buf + head, sizeof buf - head - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    len = head + (size_t)n;
    if (len > sizeof buf - 2)
        len = sizeof buf - 2;
    for (size_t i = head; i < len; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = '?';
    buf[len++] = '\n';
    for (;;) {
        ssize_t w = write(2, buf, len);
        if (w >= 0 || errno != EINTR)
            break;
    }
}

/* A plain diagnostic line on stderr: "codex-runner: ...\n". */
static void say(const char *fmt, ...)
{
    char buf[MARKER_MAX];
    size_t len;
    va_list ap;
    int n;

    len = (size_t)snprintf(buf, sizeof buf, "codex-runner: ");
    va_start(ap, fmt);
    n = vsnprintf(buf + len, sizeof buf - len - 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        len += (size_t)n;
    if (len > sizeof buf - 2)
        len = sizeof buf - 2;
    buf[len++] = '\n';
    write_all(2, buf, len);
}

static void bad_frame(const char *why) __attribute__((noreturn));
static void bad_frame(const char *why)
{
    say("bad frame: %s", why);
    marker("error bad frame: %s", why);
    _exit(EXIT_BAD);
}

/* ---- frame parsing ----------------------------------------------------- */

/* Read exactly LEN bytes; only ever ask for what is still missing.
 * Returns 0, or -1 on EOF (errno 0) or error. */
static int read_exact(void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t r = read(0, p, len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            errno = 0;
            return -1;
        }
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

static void read_or_die(void *buf, size_t len, const char *what)
{
    char why[128];
    if (read_exact(buf, len) == 0)
        return;
    if (errno == 0)
        snprintf(why, sizeof why, "end of input in %s", what);
    else
        snprintf(why, sizeof why, "reading %s: %s", what, strerror(errno));
    bad_frame(why);
}

/* A number line: 1..MAX_NUMBER ASCII digits then '\n', at most MAX. */
static size_t read_number(size_t max, const char *what)
{
    char why[128];
    uint64_t value = 0;
    int digits = 0;

    for (;;) {
        char c;
        read_or_die(&c, 1, what);
        if (c == '\n')
            break;
        if (c < '0' || c > '9') {
            snprintf(why, sizeof why, "%s: not a decimal number", what);
            bad_frame(why);
        }
        if (++digits > MAX_NUMBER) {
            snprintf(why, sizeof why, "%s: number line too long", what);
            bad_frame(why);
        }
        value = value * 10 + (uint64_t)(c - '0');
        if (value > max) {
            snprintf(why, sizeof why, "%s: over the limit of %zu", what, max);
            bad_frame(why);
        }
    }
    if (digits == 0) {
        snprintf(why, sizeof why, "%s: empty number", what);
        bad_frame(why);
    }
    return (size_t)value;
}

/* A length-prefixed field, NUL-terminated in memory.  *LEN gets its length. */
static char *read_field(size_t max, const char *what, size_t *len)
{
    size_t n = read_number(max, what);
    char *buf = malloc(n + 1);
    if (buf == NULL)
        bad_frame("out of memory");
    read_or_die(buf, n, what);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* An argument vector: a count, then that many fields.  NULL-terminated. */
static char **read_argv(const char *what, size_t min, size_t *count)
{
    char why[128];
    size_t n = read_number(MAX_ARGS, what);
    char **argv;

    if (n < min) {
        snprintf(why, sizeof why, "%s: needs at least %zu argument(s)", what, min);
        bad_frame(why);
    }
    argv = calloc(n + 1, sizeof *argv);
    if (argv == NULL)
        bad_frame("out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t len;
        argv[i] = read_field(MAX_FIELD, what, &len);
        if (memchr(argv[i], '\0', len) != NULL) {
            snprintf(why, sizeof why, "%s: argument %zu contains NUL", what, i);
            bad_frame(why);
        }
        if (i == 0 && len == 0) {
            snprintf(why, sizeof why, "%s: empty program name", what);
            bad_frame(why);
        }
    }
    *count = n;
    return argv;
}

static void read_nonce(void)
{
    size_t len;
    char *s = read_field(MAX_FIELD, "nonce", &len);

    if (len != NONCE_LEN)
        bad_frame("nonce: not 32 characters");
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            bad_frame("nonce: not lowercase hex");
    memcpy(nonce, s, NONCE_LEN + 1);
    free(s);
}

static char *read_file_name(void)
{
    size_t len;
    char *s = read_field(MAX_FIELD, "file name", &len);

    if (len == 0)
        bad_frame("file name: empty");
    if (memchr(s, '\0', len) != NULL)
        bad_frame("file name: contains NUL");
    if (strchr(s, '/') != NULL)
        bad_frame("file name: contains '/'");
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        bad_frame("file name: is '.' or '..'");
    return s;
}

/* ---- steps ------------------------------------------------------------- */

static void fail(const char *fmt, const char *arg, int err) __attribute__((noreturn));
static void fail(const char *fmt, const char *arg, int err)
{
    char msg[MARKER_MAX];
    snprintf(msg, sizeof msg, fmt, arg, strerror(err));
    marker("error %s", msg);
    _exit(EXIT_BAD);
}

static void write_source(const char *name, const char *code, size_t len)
{
    size_t plen = strlen(WORKDIR) + strlen(name) + 1;
    char *path = malloc(plen);
    int fd;

    if (path == NULL)
        fail("write %s: %s", name, ENOMEM);
    snprintf(path, plen, "%s%s", WORKDIR, name);
    /* Over RLIMIT_FSIZE, get EFBIG rather than being killed by SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        fail("create %s: %s", path, errno);
    if (write_all(fd, code, len) < 0)
        fail("write %s: %s", path, errno);
    if (close(fd) < 0 && errno != EINTR)
        fail("write %s: %s", path, errno);
    signal(SIGXFSZ, SIG_DFL); /* an ignored signal would survive exec */
    free(path);
}

/* Run the compiler with stdin from /dev/null and stdout joined to stderr.
 * Returns its status as an exit code (code, or 128 + signal).  A compiler
 * that cannot be executed is an error of the image, not of the user's code. */
static int compile(char **argv)
{
    int errpipe[2], err = 0, status;
    ssize_t r;
    pid_t pid;

    if (pipe2(errpipe, O_CLOEXEC) < 0)
        fail("compile %s: pipe: %s", argv[0], errno);
    pid = fork();
    if (pid < 0)
        fail("compile %s: fork: %s", argv[0], errno);
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0) {
            err = errno;
        } else {
            execvp(argv[0], argv);
            err = errno;
        }
        write_all(errpipe[1], &err, sizeof err);
        _exit(EXIT_NOEXEC);
    }
    close(errpipe[1]);
    do
        r = read(errpipe[0], &err, sizeof err);
    while (r < 0 && errno == EINTR);
    close(errpipe[0]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail("compile %s: wait: %s", argv[0], errno);
    }
    if (r == (ssize_t)sizeof err) {
        marker("error exec %s: %s", argv[0], strerror(err));
        _exit(EXIT_NOEXEC);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

int main(void)
{
    char magic[sizeof MAGIC - 1];
    char **compile_argv, **run_argv;
    size_t ncompile, nrun, code_len;
    char *name, *code;

    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    read_or_die(magic, sizeof magic, "magic");
    if (memcmp(magic, MAGIC, sizeof magic) != 0)
        bad_frame("bad magic");
    read_nonce();
    name = read_file_name();
    compile_argv = read_argv("compile argv", 0, &ncompile);
    run_argv = read_argv("run argv", 1, &nrun);
    code = read_field(MAX_CODE, "code", &code_len);
    /* Not one byte more: the rest of stdin belongs to the program. */

    write_source(name, code, code_len);
    free(code);

    if (ncompile > 0) {
        int s;
        marker("compile");
        s = compile(compile_argv);
        if (s != 0) {
            marker("compile_error %d", s);
            _exit(s);
        }
    }

    marker("run");
    execvp(run_argv[0], run_argv);
    marker("error exec %s: %s", run_argv[0], strerror(errno));
    return EXIT_NOEXEC;
}
