/* Replays a fuzz corpus through a target without libFuzzer, so every `make check` runs the
 * committed corpus under ASan/UBSan. Each input runs in a child process of its own and is one
 * TAP result: a crash, a sanitizer report or a hang fails that input (its stderr follows as TAP
 * comments), and the rest still run.
 *   fuzz/replay_NAME DIR|FILE...   (tests/run-test.sh passes fuzz/corpus/NAME)
 *   EG_REPLAY_TIMEOUT  seconds one input may take (default 10) */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned input_limit = 10;
static int tap_n;

/* In the child: runs the target on one input, in a buffer of exactly its size as libFuzzer
 * gives it, so that reading past the end is caught. */
static int run_input(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len;

    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 2;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto fail;
    buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
        goto fail;
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    free(buf);
    return 0;
fail:
    fprintf(stderr, "%s: cannot read it\n", path);
    free(buf);
    fclose(f);
    return 2;
}

/* Copies what a child wrote to its stderr: to our stderr when the input passed, and after its
 * "not ok" line as TAP comments when it failed, so that a sanitizer's report sits under the
 * input it is about in the test's log. */
static void show_stderr(FILE *err, int failed)
{
    char line[1024];

    rewind(err);
    while (fgets(line, sizeof(line), err) != NULL) {
        if (failed)
            printf("# %s%s", line, strchr(line, '\n') ? "" : "\n");
        else
            fputs(line, stderr);
    }
    fclose(err);
}

/* Prints one TAP line for one input; returns 1 when it failed. */
static int replay(const char *path)
{
    int st;
    pid_t pid;
    FILE *err = tmpfile();

    if (err == NULL) {
        printf("not ok %d - %s: tmpfile: %s\n", ++tap_n, path, strerror(errno));
        return 1;
    }
    fflush(stdout); /* or the child would print what the parent has buffered */
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        printf("not ok %d - %s: fork: %s\n", ++tap_n, path, strerror(errno));
        fclose(err);
        return 1;
    }
    if (pid == 0) {
        dup2(fileno(err), STDERR_FILENO);
        alarm(input_limit);
        exit(run_input(path)); /* exit, not _exit: LeakSanitizer checks at exit */
    }
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            printf("not ok %d - %s: waitpid: %s\n", ++tap_n, path, strerror(errno));
            show_stderr(err, 1);
            return 1;
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        printf("ok %d - %s\n", ++tap_n, path);
        show_stderr(err, 0);
        return 0;
    }
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
        printf("not ok %d - %s: timed out after %us (EG_REPLAY_TIMEOUT)\n", ++tap_n, path,
               input_limit);
    else if (WIFSIGNALED(st))
        printf("not ok %d - %s: killed by signal %d (%s)\n", ++tap_n, path, WTERMSIG(st),
               strsignal(WTERMSIG(st)));
    else
        printf("not ok %d - %s: exit status %d\n", ++tap_n, path, WEXITSTATUS(st));
    show_stderr(err, 1);
    return 1;
}

static int skip_dot(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Replays every input of a corpus directory, in name order so that runs compare. */
static int replay_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, skip_dot, alphasort), failed = 0;

    if (n < 0) {
        printf("not ok %d - cannot read corpus %s: %s\n", ++tap_n, dir, strerror(errno));
        return 1;
    }
    if (n == 0) { /* a misspelt or misplaced corpus should not pass as an empty one */
        printf("not ok %d - corpus %s has no inputs\n", ++tap_n, dir);
        failed = 1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        failed |= replay(path);
        free(names[i]);
    }
    free(names);
    return failed;
}

int main(int argc, char **argv)
{
    const char *limit = getenv("EG_REPLAY_TIMEOUT");
    int failed = 0;

    if (limit != NULL && atoi(limit) > 0)
        input_limit = (unsigned)atoi(limit);
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            failed |= replay_dir(argv[i]);
        else
            failed |= replay(argv[i]); /* one input, as libFuzzer takes it */
    }
    if (argc < 2) {
        printf("not ok %d - no corpus given\n", ++tap_n);
        failed = 1;
    }
    printf("1..%d\n", tap_n);
    return failed;
}
