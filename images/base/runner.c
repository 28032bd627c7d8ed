/*
 * codex-runner: the entrypoint of every sandbox image.
 *
 * It reads exactly one frame from stdin (see images/README.md) and writes the
 * frame's files under /tmp.  A frame may give the program a CPU budget: the
 * runner then watches the container's CPU while the program runs and kills
 * the program when the budget is spent (see wait_program).  Mode "run": optionally compile, then fork and
 * exec the program in its own process group; it inherits the rest of stdin
 * untouched.  The runner stays its parent, forwards the usual termination
 * signals to its group, and when it ends writes the end markers (see
 * supervise) and exits with its status.  Mode "compile": compile, then
 * write every file the compiler made under /tmp to stdout and exit.  Markers
 * for the engine go to fd 2 (the "end" marker of mode run to fd 1) as
 * "\x1e" "codex:" <nonce> ":" <event> "\n", one write(2) each.
 *
 * Given arguments, the runner starts them at once as the warm runtime (see
 * start_warm): the language's runtime, up before the code arrives, which then
 * compiles and runs the program in its own process instead of a fresh one.
 *
 * Only read(2) and write(2) are used on fds 0, 1 and 2: no stdio buffering,
 * and no read ever asks for more bytes than the frame still needs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAGIC        "CODEX3\n"
#define MAGIC_V2     "CODEX2\n"  /* the frame without its CPU limit */
#define NONCE_LEN    32
#define MAX_CODE     (16u << 20)  /* 16 MiB: all files of a frame; all artifacts */
#define MAX_FILES    64u          /* files in a frame; artifacts */
#define MAX_PATH     255u         /* bytes in a path relative to /tmp */
#define MAX_MODE     16u
#define MAX_FIELD    (64u << 10)  /* 64 KiB */
#define MAX_ARGS     256u
#define MAX_NUMBER   20           /* digits in a number line, before '\n' */
#define MARKER_MAX   4096         /* <= PIPE_BUF: a marker is never split */
#define MAX_CPU_MS   86400000u    /* a day: the run stage's CPU budget */
#define CPU_POLL_MS  50           /* how often the budget is checked, when */
#define CPU_IDLE_MS  1000         /* ... it could run out soon; at most this far apart */
#define WORKDIR      "/tmp"

#define EXIT_BAD     125
#define EXIT_NOEXEC  127

static char nonce[NONCE_LEN + 1]; /* empty until a valid nonce was read */
static long long cpu_limit_us;    /* the program's CPU budget; 0: none */

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

/* Write "\x1e" "codex:" NONCE ":" EVENT "\n" to FD in one write(2).  Control
 * bytes in EVENT become '?' so that the marker is always exactly one line; an
 * over-long event is cut so that the marker fits in PIPE_BUF.  A failed write
 * is ignored. */
static void vmarker(int fd, const char *fmt, va_list ap)
{
    char buf[MARKER_MAX];
    size_t head, len;
    int n;

    if (nonce[0] == '\0')
        return;
    head = (size_t)snprintf(buf, sizeof buf, "\x1e" "codex:%s:", nonce);
    n = vsnprintf(buf + head, sizeof buf - head - 1, fmt, ap);
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
        ssize_t w = write(fd, buf, len);
        if (w >= 0 || errno != EINTR)
            break;
    }
}

/* A marker on stderr. */
static void marker(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmarker(2, fmt, ap);
    va_end(ap);
}

/* A marker on FD. */
static void marker_to(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmarker(fd, fmt, ap);
    va_end(ap);
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

enum mode { MODE_RUN, MODE_COMPILE };

static enum mode read_mode(void)
{
    size_t len;
    char *s = read_field(MAX_MODE, "mode", &len);
    enum mode mode;

    if (len == 3 && memcmp(s, "run", 3) == 0)
        mode = MODE_RUN;
    else if (len == 7 && memcmp(s, "compile", 7) == 0)
        mode = MODE_COMPILE;
    else
        bad_frame("mode: not 'run' or 'compile'");
    free(s);
    return mode;
}

/* NULL if S (LEN bytes) is a valid path relative to /tmp: 1..MAX_PATH bytes,
 * components separated by single '/', each of [A-Za-z0-9._$-]+ and neither
 * "." nor "..".  Else why not. */
static const char *path_problem(const char *s, size_t len)
{
    size_t start = 0;

    if (len == 0)
        return "empty";
    if (len > MAX_PATH)
        return "too long";
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)s[i] : '/';
        if (c == '/') {
            size_t n = i - start;
            if (n == 0)
                return i == 0 ? "absolute" : "empty component";
            if ((n == 1 && s[start] == '.') ||
                (n == 2 && s[start] == '.' && s[start + 1] == '.'))
                return "'.' or '..' component";
            start = i + 1;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                     c == '$' || c == '-')) {
            return "character outside [A-Za-z0-9._$-]";
        }
    }
    return NULL;
}

struct file {
    char *path;     /* relative to /tmp, NUL-terminated */
    char *data;
    size_t len;
};

static struct file files[MAX_FILES]; /* the frame's */
static size_t nfiles;

/* Is A a directory that B lies under ("a" and "a/b")? */
static int is_parent(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && b[n] == '/';
}

static void read_files(void)
{
    char why[MARKER_MAX];
    size_t total = 0;

    nfiles = read_number(MAX_FILES, "file count");
    if (nfiles == 0)
        bad_frame("file count: needs at least 1 file");
    for (size_t i = 0; i < nfiles; i++) {
        struct file *f = &files[i];
        size_t len;
        const char *problem;

        f->path = read_field(MAX_PATH, "file path", &len);
        problem = path_problem(f->path, len);
        if (problem != NULL) {
            snprintf(why, sizeof why, "file path %zu: %s", i, problem);
            bad_frame(why);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(files[j].path, f->path) == 0 ||
                is_parent(files[j].path, f->path) || is_parent(f->path, files[j].path)) {
                snprintf(why, sizeof why, "file path %zu: clashes with file path %zu", i, j);
                bad_frame(why);
            }
        }
        len = read_number(MAX_CODE, "file content");
        if (len > MAX_CODE - total)
            bad_frame("file content: over 16 MiB in all");
        total += len;
        f->data = malloc(len + 1);
        if (f->data == NULL)
            bad_frame("out of memory");
        read_or_die(f->data, len, "file content");
        f->len = len;
    }
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

static int open_workdir(void)
{
    int fd = open(WORKDIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        fail("open %s: %s", WORKDIR, errno);
    return fd;
}

/* Write F under /tmp, creating its parent directories (0755) as needed.
 * Every component is opened relative to the one before, without following
 * symlinks. */
static void write_file(int top, const struct file *f)
{
    char full[sizeof WORKDIR + MAX_PATH + 1];
    char *comp, *slash;
    int dir = top, fd;

    snprintf(full, sizeof full, "%s/%s", WORKDIR, f->path);
    comp = full + sizeof WORKDIR; /* f->path, inside FULL */
    while ((slash = strchr(comp, '/')) != NULL) {
        int next;
        *slash = '\0';
        if (mkdirat(dir, comp, 0755) < 0 && errno != EEXIST)
            fail("mkdir %s: %s", full, errno);
        next = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            fail("open %s: %s", full, errno);
        if (dir != top)
            close(dir);
        dir = next;
        *slash = '/';
        comp = slash + 1;
    }
    fd = openat(dir, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        fail("create %s: %s", full, errno);
    if (write_all(fd, f->data, f->len) < 0)
        fail("write %s: %s", full, errno);
    if (close(fd) < 0 && errno != EINTR)
        fail("write %s: %s", full, errno);
    if (dir != top)
        close(dir);
}

static void write_files(void)
{
    int top = open_workdir();

    /* Over RLIMIT_FSIZE, get EFBIG rather than being killed by SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    for (size_t i = 0; i < nfiles; i++) {
        write_file(top, &files[i]);
        free(files[i].data);
        files[i].data = NULL;
    }
    signal(SIGXFSZ, SIG_DFL); /* an ignored signal would survive exec */
    close(top);
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

/* ---- artifacts (mode compile) ------------------------------------------ */

static struct file artifacts[MAX_FILES];
static size_t nartifacts, artifacts_total;

static void too_many_artifacts(const char *why) __attribute__((noreturn));
static void too_many_artifacts(const char *why)
{
    say("too many artifacts: %s", why);
    marker("error too many artifacts");
    _exit(EXIT_BAD);
}

static int is_frame_file(const char *path)
{
    for (size_t i = 0; i < nfiles; i++)
        if (strcmp(files[i].path, path) == 0)
            return 1;
    return 0;
}

/* Read the regular file NAME in DIR (PATH relative to /tmp) into the next
 * artifact.  A name that vanished since readdir is skipped. */
static void collect_file(int dir, const char *name, char *path)
{
    char full[sizeof WORKDIR + MAX_PATH + 1];
    struct file *a;
    struct stat st;
    size_t cap, len = 0, room;
    char *buf;
    int fd;

    snprintf(full, sizeof full, "%s/%s", WORKDIR, path);
    if (nartifacts == MAX_FILES)
        too_many_artifacts("more than 64 files");
    /* O_NONBLOCK: never hang on a FIFO swapped in since the lstat. */
    fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return;
        fail("open %s: %s", full, errno);
    }
    if (fstat(fd, &st) < 0)
        fail("stat %s: %s", full, errno);
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    room = MAX_CODE - artifacts_total;
    if (st.st_size < 0 || (uint64_t)st.st_size > room)
        too_many_artifacts("over 16 MiB in all");
    /* One byte over the size, to see EOF (or growth) without a realloc. */
    cap = (size_t)st.st_size + 1;
    buf = malloc(cap);
    if (buf == NULL)
        fail("read %s: %s", full, ENOMEM);
    for (;;) {
        ssize_t r;
        if (len == cap) {
            char *bigger;
            if (len > room)
                too_many_artifacts("over 16 MiB in all");
            cap = cap * 2 > room + 1 ? room + 1 : cap * 2;
            bigger = realloc(buf, cap);
            if (bigger == NULL)
                fail("read %s: %s", full, ENOMEM);
            buf = bigger;
        }
        r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fail("read %s: %s", full, errno);
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > room)
        too_many_artifacts("over 16 MiB in all");
    close(fd);
    a = &artifacts[nartifacts++];
    a->path = path;
    a->data = buf;
    a->len = len;
    artifacts_total += len;
}

/* Walk the directory FD (PATH relative to /tmp, "" for /tmp itself; FD is
 * consumed) and collect every regular file that the frame did not write.
 * Symlinks are never followed, other non-regular files are skipped, and so
 * are top-level names starting with '.' (the runtimes' scratch: .config,
 * .mono, ...). */
static void collect_dir(int fd, const char *path)
{
    char full[sizeof WORKDIR + MAX_PATH + 1];
    struct dirent *e;
    DIR *d;

    snprintf(full, sizeof full, "%s%s%s", WORKDIR, path[0] ? "/" : "", path);
    d = fdopendir(fd);
    if (d == NULL)
        fail("open %s: %s", full, errno);
    for (;;) {
        size_t plen = strlen(path), nlen;
        const char *problem;
        struct stat st;
        char *child;

        errno = 0;
        e = readdir(d);
        if (e == NULL) {
            if (errno != 0)
                fail("read %s: %s", full, errno);
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (plen == 0 && e->d_name[0] == '.')
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            fail("stat %s/...: %s", full, errno);
        }
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            continue;
        nlen = strlen(e->d_name);
        child = malloc(plen + 1 + nlen + 1);
        if (child == NULL)
            fail("read %s: %s", full, ENOMEM);
        snprintf(child, plen + 1 + nlen + 1, "%s%s%s", path, plen ? "/" : "", e->d_name);
        /* Every artifact must be a valid frame path, for the run that gets
         * it.  A directory is only checked for length, which also bounds the
         * depth of the walk; a bad name shows in the files under it. */
        problem = path_problem(child, strlen(child));
        if (S_ISDIR(st.st_mode)) {
            int sub;
            if (strlen(child) > MAX_PATH) {
                marker("error artifact path not allowed (too long): %.512s", child);
                _exit(EXIT_BAD);
            }
            sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
                    continue; /* swapped since the lstat */
                fail("open %s/...: %s", full, errno);
            }
            collect_dir(sub, child);
            free(child);
        } else if (is_frame_file(child)) {
            free(child);
        } else {
            if (problem != NULL) {
                marker("error artifact path not allowed (%s): %.512s", problem, child);
                _exit(EXIT_BAD);
            }
            collect_file(dirfd(d), e->d_name, child);
        }
    }
    closedir(d);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

static void put(const void *buf, size_t len)
{
    if (write_all(1, buf, len) < 0)
        fail("write %s: %s", "stdout", errno);
}

static void put_number(size_t n)
{
    char buf[32];
    put(buf, (size_t)snprintf(buf, sizeof buf, "%zu\n", n));
}

/* Mode compile, after the compiler succeeded: "<k>\n" then k times
 * "<len>\n<path><len>\n<content>" on stdout, sorted by path. */
static void emit_artifacts(void)
{
    collect_dir(open_workdir(), "");
    qsort(artifacts, nartifacts, sizeof *artifacts, by_path);
    marker("artifacts");
    signal(SIGPIPE, SIG_IGN); /* EPIPE, reported, rather than death */
    put_number(nartifacts);
    for (size_t i = 0; i < nartifacts; i++) {
        size_t plen = strlen(artifacts[i].path);
        put_number(plen);
        put(artifacts[i].path, plen);
        put_number(artifacts[i].len);
        put(artifacts[i].data, artifacts[i].len);
    }
}

/* ---- the program (mode run) --------------------------------------------- */

/* The signals that the container's init forwards to the runner and the runner
 * forwards to the program's process group. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static volatile sig_atomic_t program; /* its pid = its pgid; 0 when none */

static void forward(int sig)
{
    int saved = errno;
    pid_t pid = (pid_t)program;

    if (pid > 0 && kill(-pid, sig) < 0 && errno == ESRCH)
        kill(pid, sig);
    errno = saved;
}

static void block_forwarded(int how)
{
    sigset_t set;

    sigemptyset(&set);
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        sigaddset(&set, forwarded[i]);
    sigprocmask(how, &set, NULL);
}

/* The child: its own process group, default signal dispositions, an empty
 * signal mask, then exec.  Never returns. */
static void exec_program(char **argv) __attribute__((noreturn));
static void exec_program(char **argv)
{
    struct sigaction dfl;
    sigset_t none;

    setpgid(0, 0);
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP, libc's own: EINVAL */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
    marker("error exec %s: %s", argv[0], strerror(errno));
    _exit(EXIT_NOEXEC);
}

/* Forwarded signals blocked, their handlers installed, SIGPIPE ignored (a
 * marker to a closed pipe: EPIPE, ignored).  Done before the program exists,
 * so that no signal meant for it can take the runner down in between. */
static void prepare_forwarding(void)
{
    struct sigaction sa;
    sigset_t chld;

    signal(SIGPIPE, SIG_IGN);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigfillset(&sa.sa_mask);
    block_forwarded(SIG_BLOCK); /* until PROGRAM is set */
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        sigaction(forwarded[i], &sa, NULL);
    /* For good: the program's end is waited for with sigtimedwait (see
     * wait_program); a blocked SIGCHLD stays pending though its action is to
     * ignore it, and the program's exec gets an empty mask. */
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
}

/* The user and system CPU time PID has used so far, in microseconds, from
 * /proc, with CHILDREN also its reaped children's; 0 if it cannot be read. */
static long long cpu_used_us(pid_t pid, int children)
{
    char path[64], buf[1024], *p;
    unsigned long long utime, stime, cutime = 0, cstime = 0;
    long ticks = sysconf(_SC_CLK_TCK);
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0 || ticks <= 0)
        return 0;
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold anything */
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu"
                                   " %llu %llu", &utime, &stime, &cutime, &cstime) < 2)
        return 0;
    if (children)
        utime += cutime + cstime;
    return (long long)((utime + stime) * 1000000ULL / (unsigned long long)ticks);
}

/* The CPU time the container's processes have used so far, in microseconds:
 * its cgroup's, as the container sees it (v1: cpuacct.usage, in ns; v2:
 * cpu.stat's usage_usec).  It counts every process and thread, those that
 * left the program's group or outlived their parent too.  -1 if unreadable. */
static long long cgroup_cpu_us(void)
{
    char buf[4096], *p;
    long long value;
    ssize_t n;
    int fd, v1 = 1;

    fd = open("/sys/fs/cgroup/cpuacct/cpuacct.usage", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        v1 = 0;
        fd = open("/sys/fs/cgroup/cpu.stat", O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (v1)
        return sscanf(buf, "%lld", &value) == 1 ? value / 1000 : -1;
    p = strstr(buf, "usage_usec ");
    return p != NULL && sscanf(p + 11, "%lld", &value) == 1 ? value : -1;
}

/* The CPU the program has used, in microseconds: the container's, or where
 * the cgroup cannot be read, PID's own and its reaped children's. */
static long long cpu_now_us(pid_t pid)
{
    long long us = cgroup_cpu_us();
    return us >= 0 ? us : cpu_used_us(pid, 1);
}

/* Wait for PID to end, into *STATUS and *RU.  With a CPU budget, look at the
 * CPU used since CPU_START_US (cpu_now_us) meanwhile, and once it is spent
 * write "limit cpu" and kill the program's group (the rest of the container
 * goes when the runner exits).  It is looked at again when the program could
 * have spent what is left on every CPU, at least CPU_POLL_MS and at most
 * CPU_IDLE_MS later: a program waiting for input uses no CPU and costs a look
 * a second.  Returns whether the budget ran out. */
static int wait_program(pid_t pid, long long cpu_start_us, int *status, struct rusage *ru)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int limited = 0;
    sigset_t chld;

    if (cpus < 1)
        cpus = 1;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        int watch = cpu_limit_us > 0 && !limited;
        long long left_us, wait_ms;
        struct timespec wait;
        pid_t r = wait4(pid, status, watch ? WNOHANG : 0, ru);

        if (r == pid)
            return limited;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            marker("error wait: %s", strerror(errno));
            _exit(EXIT_BAD);
        }
        left_us = cpu_limit_us - (cpu_now_us(pid) - cpu_start_us);
        if (left_us <= 0) {
            limited = 1;
            marker("limit cpu");
            if (kill(-pid, SIGKILL) < 0)
                kill(pid, SIGKILL);
            continue;
        }
        wait_ms = left_us / 1000 / cpus;
        if (wait_ms < CPU_POLL_MS)
            wait_ms = CPU_POLL_MS;
        if (wait_ms > CPU_IDLE_MS)
            wait_ms = CPU_IDLE_MS;
        wait.tv_sec = wait_ms / 1000;
        wait.tv_nsec = wait_ms % 1000 * 1000000L;
        /* SIGCHLD is blocked (prepare_forwarding): it ends the wait at once. */
        sigtimedwait(&chld, NULL, &wait);
    }
}

/* Mode run, with PID the program (prepare_forwarding done): stay its parent.
 * Signals in FORWARDED go to its process group.  When it ends: "end" on
 * stdout (all of its stdout came before), then "exit <code> <signal> <cpu_ms>
 * <maxrss_kb>" on stderr, and exit with its status (code, or 128 + signal).
 * CPU_BEFORE_US is left out of cpu_ms (a warm runtime's start), and the CPU
 * budget counts from CPU_START_US (cpu_now_us, taken before the program was
 * let go).  Only the program itself is waited for: orphans are the container's
 * init's. */
static void supervise(pid_t pid, long long cpu_before_us, long long cpu_start_us)
    __attribute__((noreturn));
static void supervise(pid_t pid, long long cpu_before_us, long long cpu_start_us)
{
    struct rusage ru;
    long long cpu_us;
    int status, code, sig;

    program = pid;
    close(0); /* the rest of stdin is the program's */
    block_forwarded(SIG_UNBLOCK);

    memset(&ru, 0, sizeof ru);
    wait_program(pid, cpu_start_us, &status, &ru);
    block_forwarded(SIG_BLOCK);
    program = 0;

    code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    cpu_us = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
             (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec - cpu_before_us;
    if (cpu_us < 0)
        cpu_us = 0;
    marker_to(1, "end");
    marker_to(2, "exit %d %d %lld %ld", code, sig, cpu_us / 1000, (long)ru.ru_maxrss);
    _exit(sig ? 128 + sig : code >= 0 ? code : 1);
}

/* Mode run, fresh: fork and exec ARGV, then supervise it. */
static void run_program(char **argv) __attribute__((noreturn));
static void run_program(char **argv)
{
    pid_t pid;

    long long cpu_start;

    prepare_forwarding();
    cpu_start = cpu_now_us(getpid());
    pid = fork();
    if (pid < 0)
        fail("fork %s: %s", argv[0], errno);
    if (pid == 0)
        exec_program(argv);
    setpgid(pid, pid); /* also here, against the race; EACCES once it exec'd */
    if (cgroup_cpu_us() < 0)
        cpu_start = 0; /* counted on the program alone, from its birth */
    supervise(pid, 0, cpu_start);
}

/* ---- the warm runtime ---------------------------------------------------- */

static pid_t warm_pid;             /* 0: none (any more) */
static int warm_request = -1;      /* our end of its fd 3 */
static int warm_status = -1;       /* our end of its fd 4 */

/* Fork ARGV at once as the warm runtime: its own process group, default
 * signals, fds 0-2 shared, fd 3 the request pipe, fd 4 the status pipe.  If
 * anything fails there is simply no warm runtime. */
static void start_warm(char **argv)
{
    int request[2], status[2], theirs_request, theirs_status;
    pid_t pid;

    if (pipe2(request, O_CLOEXEC) < 0)
        return;
    if (pipe2(status, O_CLOEXEC) < 0) {
        close(request[0]);
        close(request[1]);
        return;
    }
    /* Out of the way of 3 and 4, where the child wants them. */
    theirs_request = fcntl(request[0], F_DUPFD_CLOEXEC, 10);
    theirs_status = fcntl(status[1], F_DUPFD_CLOEXEC, 10);
    close(request[0]);
    close(status[1]);
    pid = theirs_request < 0 || theirs_status < 0 ? -1 : fork();
    if (pid == 0) {
        if (dup2(theirs_request, 3) < 0 || dup2(theirs_status, 4) < 0)
            _exit(EXIT_NOEXEC);
        exec_program(argv); /* no nonce yet: an exec failure is silent */
    }
    if (theirs_request >= 0)
        close(theirs_request);
    if (theirs_status >= 0)
        close(theirs_status);
    if (pid < 0) {
        close(request[1]);
        close(status[0]);
        return;
    }
    setpgid(pid, pid);
    warm_pid = pid;
    warm_request = request[1];
    warm_status = status[0];
}

/* Kill the warm runtime's process group and reap it. */
static void stop_warm(void)
{
    if (warm_pid <= 0)
        return;
    if (kill(-warm_pid, SIGKILL) < 0)
        kill(warm_pid, SIGKILL);
    while (waitpid(warm_pid, NULL, 0) < 0 && errno == EINTR)
        ;
    warm_pid = 0;
    if (warm_request >= 0)
        close(warm_request);
    if (warm_status >= 0)
        close(warm_status);
    warm_request = warm_status = -1;
}

/* The request, encoded like an argv of the frame, in one write. */
static int send_request(char **argv, size_t n)
{
    size_t len = 32, at;
    char *buf;
    int ok;

    for (size_t i = 0; i < n; i++)
        len += strlen(argv[i]) + 32;
    buf = malloc(len);
    if (buf == NULL)
        return -1;
    at = (size_t)snprintf(buf, len, "%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        size_t alen = strlen(argv[i]);
        at += (size_t)snprintf(buf + at, len - at, "%zu\n", alen);
        memcpy(buf + at, argv[i], alen);
        at += alen;
    }
    ok = write_all(warm_request, buf, at);
    free(buf);
    return ok;
}

/* One line from the status pipe, without its '\n'.  -1 on EOF, error, or a
 * line too long to be one of ours. */
static int read_status(char *line, size_t size)
{
    size_t len = 0;

    for (;;) {
        char c;
        ssize_t r = read(warm_status, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (c == '\n') {
            line[len] = '\0';
            return 0;
        }
        if (len + 1 >= size)
            return -1;
        line[len++] = c;
    }
}

/* Mode run: hand the program to the warm runtime.  Each `compile` or `run`
 * it reports is answered with "go\n" once the marker is out, so that nothing
 * it writes can come before the marker.  Returns if it declined or died (the
 * caller goes on fresh); otherwise it never returns. */
static void run_warm(char **request, size_t n)
{
    char line[64];
    long long cpu_before, cpu_start;

    signal(SIGPIPE, SIG_IGN); /* a runtime that died: EPIPE */
    if (send_request(request, n) < 0)
        goto declined;
    while (read_status(line, sizeof line) == 0) {
        if (strcmp(line, "ready") == 0)
            continue;
        if (strcmp(line, "compile") == 0) {
            marker("compile warm");
            if (write_all(warm_request, "go\n", 3) < 0)
                break;
            continue;
        }
        if (strncmp(line, "compile_error ", 14) == 0) {
            char *end;
            long s = strtol(line + 14, &end, 10);
            if (*end != '\0' || s < 1 || s > 255)
                break;
            marker("compile_error %ld", s);
            stop_warm();
            _exit((int)s);
        }
        if (strcmp(line, "run") == 0) {
            cpu_before = cpu_used_us(warm_pid, 0);
            close(warm_status);
            warm_status = -1;
            marker("run warm");
            prepare_forwarding();
            cpu_start = cpu_now_us(warm_pid);
            write_all(warm_request, "go\n", 3); /* if it died, supervise tells */
            close(warm_request);
            warm_request = -1;
            supervise(warm_pid, cpu_before, cpu_start);
        }
        break; /* anything else: not a runtime we can trust with the run */
    }
declined:
    stop_warm();
    signal(SIGPIPE, SIG_DFL); /* an ignored signal would survive a compiler's exec */
}

int main(int argc, char **argv)
{
    char magic[sizeof MAGIC - 1];
    char **compile_argv, **run_argv, **warm_argv;
    size_t ncompile, nrun, nwarm;
    enum mode mode;
    int v2;

    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (argc > 1)
        start_warm(argv + 1);

    read_or_die(magic, sizeof magic, "magic");
    v2 = memcmp(magic, MAGIC_V2, sizeof magic) == 0;
    if (!v2 && memcmp(magic, MAGIC, sizeof magic) != 0)
        bad_frame("bad magic");
    read_nonce();
    mode = read_mode();
    if (!v2)
        cpu_limit_us = (long long)read_number(MAX_CPU_MS, "cpu limit") * 1000;
    read_files();
    compile_argv = read_argv("compile argv", mode == MODE_COMPILE ? 1 : 0, &ncompile);
    run_argv = read_argv("run argv", mode == MODE_RUN ? 1 : 0, &nrun);
    warm_argv = read_argv("warm request", 0, &nwarm);
    /* Not one byte more: the rest of stdin belongs to the program. */

    write_files();

    if (mode == MODE_RUN && nwarm > 0 && warm_pid > 0)
        run_warm(warm_argv, nwarm); /* returns only if the runtime declined */
    stop_warm();

    if (ncompile > 0) {
        int s;
        marker("compile");
        s = compile(compile_argv);
        if (s != 0) {
            marker("compile_error %d", s);
            _exit(s);
        }
    }

    if (mode == MODE_COMPILE) {
        emit_artifacts();
        return 0;
    }

    marker("run");
    run_program(run_argv);
}
