/* Replays a fuzz corpus through a target without libFuzzer, so every ./scripts/test run
 * checks the committed corpus under ASan/UBSan. Prints TAP, one line per input file. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        if (d == NULL) {
            printf("not ok %d - cannot open corpus %s\n", ++n, argv[i]);
            continue;
        }
        while ((e = readdir(d)) != NULL) {
            char path[4096];
            FILE *f;
            uint8_t *buf;
            long len;
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            f = fopen(path, "rb");
            if (f == NULL)
                continue;
            fseek(f, 0, SEEK_END);
            len = ftell(f);
            fseek(f, 0, SEEK_SET);
            buf = malloc(len > 0 ? (size_t)len : 1);
            if (fread(buf, 1, (size_t)len, f) != (size_t)len)
                len = 0;
            fclose(f);
            LLVMFuzzerTestOneInput(buf, (size_t)len); /* a crash fails the whole run */
            free(buf);
            printf("ok %d - %s\n", ++n, path);
        }
        closedir(d);
    }
    printf("1..%d\n", n);
    return 0;
}
