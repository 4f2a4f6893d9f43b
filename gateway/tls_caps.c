/* What this OpenSSL can offer to origins, checked when the operator configures an origin
 * (egctl, admin) and again before each handshake. */
#include <openssl/crypto.h>
#include <openssl/opensslconf.h>

#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/origin.h"

int eg_origin_tls_check_protocols(int mask, char *err, size_t errlen)
{
#ifdef OPENSSL_NO_SSL3_METHOD
    if (mask & EG_SSL_SSLV3) {
        eg_errf(err, errlen,
                "SSLv3 cannot be offered: this OpenSSL (%s) was built without it; choose from "
                "TLSv1, TLSv1.1, TLSv1.2",
                OpenSSL_version(OPENSSL_VERSION));
        return -1;
    }
#endif
    if ((mask & (EG_SSL_TLSV1 | EG_SSL_TLSV1_1 | EG_SSL_TLSV1_2 | EG_SSL_SSLV3)) == 0) {
        eg_errf(err, errlen, "no SSL protocol named");
        return -1;
    }
    return 0;
}

