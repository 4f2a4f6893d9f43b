/* Configuration files, error class: malformed XML or JSON. Refused with the line (and for
 * JSON the column), nothing read. */
#include "conf_fixture.h"

int main(void)
{
    eg_dist_t d;
    char *xml, *json0;
    fx_start(&d, &xml, &json0);
    {
        char *bad = fx_replace(xml, "</Origins>", "</Origin>");
        const char *says[] = {"error: line ", "mismatch", NULL};
        fx_refused("a tag mismatch", bad, says);
        free(bad);
    }
    {
        char *bad = fx_replace(xml, "</DistributionConfig>", "");
        const char *says[] = {"error: line ", NULL};
        fx_refused("a document cut short", bad, says);
        free(bad);
    }
    {
        char *bad = fx_replace(xml, "<Comment>", "<Comment a=\"1\">");
        const char *says[] = {"has attributes", NULL};
        fx_refused("an attribute", bad, says);
        free(bad);
    }
    {
        char *bad = fx_replace(xml, "<Origins>", "<Origins>text");
        const char *says[] = {"text beside elements", NULL};
        fx_refused("text beside elements", bad, says);
        free(bad);
    }
    {
        char *bad = fx_replace(xml, "<Comment>", "<x:Comment xmlns:x=\"urn:other\">");
        char *bad2 = fx_replace(bad, "</Comment>", "</x:Comment>");
        const char *says[] = {"another namespace", NULL};
        fx_refused("an element of another namespace", bad2, says);
        free(bad);
        free(bad2);
    }
    {
        const char *says[] = {"error: line 2: /Other: expected <DistributionConfig>", NULL};
        fx_refused("another root element", "<?xml version=\"1.0\"?>\n<Other/>\n", says);
    }
    {
        const char *says[] = {"namespace http://cloudfront.amazonaws.com/doc/2019-03-26/", NULL};
        fx_refused("another CloudFront namespace",
                   "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2019-03-26/\"/>",
                   says);
    }
    {
        const char *says[] = {"error: line 3, column ", NULL};
        fx_refused("JSON with a missing comma",
                   "{\n  \"DistributionConfig\": {\n    \"Comment\": \"x\" \"Enabled\": true\n  }\n}\n",
                   says);
    }
    {
        const char *says[] = {"duplicate", NULL};
        fx_refused("JSON with a member twice", "{\"Comment\": \"a\", \"Comment\": \"b\"}", says);
    }
    {
        const char *says[] = {"neither XML nor JSON", NULL};
        fx_refused("plain text", "hello\n", says);
        fx_refused("an empty file", "", says);
    }
    {
        const char *says[] = {"the file is UTF-16: save it as UTF-8", NULL};
        fx_refused("UTF-16", "\xff\xfe<\0D\0/\0>\0", says);
    }
    {
        const char *says[] = {"neither a DistributionConfig nor", NULL};
        fx_refused("a JSON object of something else", "{\"Foo\": 1}", says);
    }
    {
        char *json = fx_write(&d, EG_CONF_JSON);
        char *bad = fx_replace(json, "\"Enabled\": true", "\"Enabled\": \"yes\"");
        const char *says[] = {"$.DistributionConfig.Enabled: expected true or false", NULL};
        fx_refused("a string where JSON wants a boolean", bad, says);
        free(bad);
        bad = fx_replace(json, "\"HTTPPort\": 80", "\"HTTPPort\": \"80\"");
        {
            const char *says2[] = {"HTTPPort: expected a whole number from 1 to 65535, got a string",
                                   NULL};
            fx_refused("a string where JSON wants a number", bad, says2);
        }
        free(bad);
        free(json);
    }
    {
        /* a UTF-8 BOM is fine (before an XML declaration nothing else may come) */
        char *text = eg_malloc(strlen(xml) + 8);
        char *msgs;
        eg_dist_t back;
        sprintf(text, "\xef\xbb\xbf%s", xml);
        ok(fx_read(text, &back, &msgs) == 0, "a BOM before the document");
        free(msgs);
        free(text);
        eg_dist_clear(&back);
        text = fx_write(&d, EG_CONF_JSON);
        {
            char *spaced = eg_malloc(strlen(text) + 8);
            sprintf(spaced, "\xef\xbb\xbf\n\n %s", text);
            ok(fx_read(spaced, &back, &msgs) == 0, "a BOM and blank lines before JSON");
            free(spaced);
        }
        free(msgs);
        free(text);
        eg_dist_clear(&back);
    }
    free(xml);
    free(json0);
    eg_dist_clear(&d);
    return done();
}
