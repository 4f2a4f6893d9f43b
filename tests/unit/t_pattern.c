/* Path patterns as CloudFront documents them. */
#include "edgegate/pattern.h"
#include "tap.h"

static void cv(const char *a, const char *b, int want)
{
    ok(eg_pattern_covers(a, b) == want, "'%s' %s '%s'", a, want ? "covers" : "does not cover", b);
}

static void m(const char *pat, const char *path, int want)
{
    int got = eg_pattern_match(pat, path, strlen(path));
    ok(got == want, "'%s' %s '%s'", pat, want ? "matches" : "does not match", path);
}

int main(void)
{
    m("*", "/", 1);
    m("*", "/anything/at/all.jpg", 1);
    m("/images/*", "/images/a.jpg", 1);
    m("/images/*", "/images/", 1);
    m("/images/*", "/images", 0);
    m("images/*", "/images/a.jpg", 1); /* no leading slash means the same */
    m("/images/*.jpg", "/images/a/b/c.jpg", 1);
    m("/images/*.jpg", "/images/a.png", 0);
    m("/Images/*", "/images/a.jpg", 0); /* case-sensitive */
    m("/a?c", "/abc", 1);
    m("/a?c", "/ac", 0);
    m("/a?c", "/abbc", 0);
    m("/a??", "/a/b", 1);
    m("*.gif", "/x/y.gif", 1);
    m("*.gif", "/x/y.gift", 0);
    m("/*/*/z", "/a/b/z", 1);
    m("/*/*/z", "/a/z", 0);
    m("/**a", "/bbbba", 1);
    m("/exact", "/exact", 1);
    m("/exact", "/exact/more", 0);
    m("/api/*", "/api", 0);
    {
        /* long runs of stars stay fast (no exponential backtracking) */
        char path[4096];
        memset(path, 'a', sizeof(path) - 1);
        path[0] = '/';
        path[sizeof(path) - 1] = '\0';
        m("/*a*a*a*a*a*a*a*a*a*a*b", path, 0);
    }
    /* a behavior placed after one whose pattern covers its own is never chosen */
    cv("/img/*", "/img/a.png", 1);
    cv("/img/*", "/img/*.png", 1);
    cv("/img/*", "/img/*", 1);
    cv("*", "/anything/*", 1);
    cv("*", "*", 1);
    cv("/img/*", "/images/a.png", 0);
    cv("/img/*.png", "/img/*", 0);
    cv("/img/a.png", "/img/*", 0);
    cv("/a?c", "/abc", 1);
    cv("/a?c", "/a?c", 1);
    cv("/abc", "/a?c", 0);
    cv("/a?c", "/a*c", 0);  /* /ac and /abbc match the second only */
    cv("/a*c", "/a?c", 1);
    cv("/?*", "/*?", 1);    /* both: one character or more */
    cv("/*?", "/?*", 1);
    cv("/??", "/?*", 0);
    cv("img/*", "/img/x", 1); /* a pattern without its leading slash, as matched */
    cv("/*.jpg", "/a/*.jpg", 1);
    cv("/*a*", "/*a*a*", 1);
    cv("/*a*a*", "/*a*", 0);
    cv("/Img/*", "/img/x", 0); /* case-sensitive */
    return done();
}
