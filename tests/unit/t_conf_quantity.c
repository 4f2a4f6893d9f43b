/* Configuration files, error class: a Quantity that does not match its Items. */
#include "conf_fixture.h"

int main(void)
{
    eg_dist_t d;
    char *xml, *json;
    fx_start(&d, &xml, &json);
    {
        char *bad = fx_replace(xml, "<Quantity>3</Quantity>", "<Quantity>4</Quantity>");
        const char *says[] = {"/DistributionConfig/Origins: Quantity says 4 but Items holds 3",
                              "line 11", NULL};
        fx_refused("origins: Quantity 4, 3 items (XML)", bad, says);
        free(bad);
    }
    {
        char *bad = fx_replace(json, "\"Quantity\": 3", "\"Quantity\": 2");
        const char *says[] = {"$.DistributionConfig.Origins: Quantity says 2 but Items holds 3",
                              NULL};
        fx_refused("origins: Quantity 2, 3 items (JSON)", bad, says);
        free(bad);
    }
    {
        char *bad = fx_replace(xml, "<Aliases>\n    <Quantity>2</Quantity>",
                               "<Aliases>\n    <Quantity>1</Quantity>");
        const char *says[] = {"/DistributionConfig/Aliases: Quantity says 1 but Items holds 2",
                              NULL};
        fx_refused("aliases", bad, says);
        free(bad);
    }
    {
        const char *says[] = {"Items", "missing", NULL};
        char *bad = fx_replace(json, "\"Quantity\": 2,\n            \"Items\"",
                               "\"Quantity\": 2,\n            \"Itemz\"");
        fx_refused("a Quantity without its Items", bad, says);
        free(bad);
    }
    {
        const char *says[] = {"missing Quantity", NULL};
        char *bad = fx_replace(xml, "<Aliases>\n    <Quantity>2</Quantity>", "<Aliases>");
        fx_refused("Items without a Quantity", bad, says);
        free(bad);
    }
    {
        const char *says[] = {"expected <CNAME>, got <Alias>", NULL};
        char *bad = fx_replace(xml, "<CNAME>shop.example.com</CNAME>", "<Alias>shop.example.com</Alias>");
        fx_refused("an item of another name", bad, says);
        free(bad);
    }
    {
        const char *says[] = {"Quantity", "out of range", NULL};
        char *bad = fx_replace(json, "\"Quantity\": 3", "\"Quantity\": -1");
        fx_refused("a negative Quantity", bad, says);
        free(bad);
    }
    free(xml);
    free(json);
    eg_dist_clear(&d);
    return done();
}
