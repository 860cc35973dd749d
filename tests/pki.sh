#!/bin/bash
# Makes the certificates TLS tests use, with the openssl command, in DIR (created):
#   ca.pem, ca.key             a CA (self-signed, EC P-256)
#   NAME.pem, NAME.key         for each NAME given: signed by ca, valid for a day
#   expired.pem, expired.key   signed by ca, expired yesterday
#   other-ca.pem               another CA; stranger.pem/.key signed by it
# Usage: tests/pki.sh DIR [NAME...]   (default names: server client)
set -eu
dir=$1
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(server client)
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {   # ca NAME
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -subj "/CN=vsw test $1" -days 2 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {  # leaf NAME CA DAYS
    key "$1.key"
    openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=vsw test $1"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
        -days "$3" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr"
}
ca ca
for n in "${names[@]}"; do leaf "$n" ca 1; done
leaf expired ca -1
ca other-ca
leaf stranger other-ca 1
chmod 644 ./*.pem ./*.key
