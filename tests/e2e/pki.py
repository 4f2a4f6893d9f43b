"""Certificate authorities and certificates made with the openssl command during a test run:
a root, an intermediate, and leaves with chosen names and validity periods."""
import datetime
import os
import subprocess

CA_CONF = """[ ca ]
default_ca = this
[ this ]
dir = %(dir)s
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _run(*args):
    subprocess.run(args, check=True, capture_output=True)


def _stamp(days):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y%m%d%H%M%SZ")


class Pki:
    def __init__(self, dir):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)

    def _key(self, name):
        key = os.path.join(self.dir, name + ".key")
        _run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", key)
        return key

    def _ca_dir(self, name):
        d = os.path.join(self.dir, name + ".ca")
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "index.txt"), "a").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("%016X\n" % (abs(hash(name)) % (1 << 60) + 4096))
        conf = os.path.join(d, "ca.cnf")
        with open(conf, "w") as f:
            f.write(CA_CONF % {"dir": d})
        return conf

    def root(self, name="root"):
        key = self._key(name)
        crt = os.path.join(self.dir, name + ".crt")
        _run("openssl", "req", "-x509", "-new", "-key", key, "-out", crt, "-days", "3",
             "-subj", "/CN=edgegate test " + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._ca_dir(name)
        return crt

    def sign(self, issuer, name, subject, ext, start=-1, end=2, san=None):
        key = self._key(name)
        csr = os.path.join(self.dir, name + ".csr")
        crt = os.path.join(self.dir, name + ".crt")
        args = ["openssl", "req", "-new", "-key", key, "-out", csr, "-subj", "/CN=" + subject]
        if san:
            args += ["-addext", "subjectAltName=" + ",".join("DNS:" + n for n in san)]
        _run(*args)
        conf = os.path.join(self.dir, issuer + ".ca", "ca.cnf")
        _run("openssl", "ca", "-batch", "-notext", "-config", conf, "-extensions", ext,
             "-keyfile", os.path.join(self.dir, issuer + ".key"),
             "-cert", os.path.join(self.dir, issuer + ".crt"),
             "-in", csr, "-out", crt, "-startdate", _stamp(start), "-enddate", _stamp(end))
        return crt, key

    def intermediate(self, issuer, name="intermediate"):
        crt, _ = self.sign(issuer, name, "edgegate test " + name, "v3_ca")
        self._ca_dir(name)
        return crt

    def leaf(self, issuer, name, dns, start=-1, end=2, cn=None):
        return self.sign(issuer, name, cn or dns[0], "v3_leaf", start, end, san=dns)

    def selfsigned(self, name, dns):
        key = self._key(name)
        crt = os.path.join(self.dir, name + ".crt")
        _run("openssl", "req", "-x509", "-new", "-key", key, "-out", crt, "-days", "2",
             "-subj", "/CN=" + dns, "-addext", "subjectAltName=DNS:" + dns)
        return crt, key

    def bundle(self, name, *certs):
        """Concatenates certificates in the given order (what the origin will send)."""
        path = os.path.join(self.dir, name + ".pem")
        with open(path, "w") as out:
            for c in certs:
                with open(c) as f:
                    out.write(f.read())
        return path
