#!/usr/bin/env python3
"""wire_check.py - what a capture of tcp payloads shows to an eavesdropper.

Reads `tshark -T fields -e tcp.srcport -e tcp.dstport -e tcp.payload` lines on
stdin (the payload in hex, possibly with ':' separators), groups the bytes by
tcp port, and prints for each PORT named on the command line one line:

    PORT bytes=N curve=yes|no markers=name,name|-

`curve` says whether a ZMTP 3 greeting with the mechanism CURVE was seen;
`markers` lists which of the plain-text names below occur anywhere in that
port's bytes: WalletFlow's MDP protocol names, msgpack and JSON field names
of money commands, outbox deliveries and notifications, metric names.
Encrypted traffic shows none.
  python3 wire_check.py PORT... < fields.txt
"""
import sys

MARKERS = [b"MDPW01", b"MDPC01", b"account.command", b"outbox.deliver", b"account_id",
           b"idempotency_key", b"message_id", b"transactionId", b"accountId", b"amount",
           b"destinationAccountId", b"BalanceUpdated", b"newBalance", b"wf_account_",
           b"wf_broker_"]


def main():
    ports = sys.argv[1:]
    streams = {port: bytearray() for port in ports}
    for line in sys.stdin:
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 3 or not fields[2]:
            continue
        payload = bytes.fromhex(fields[2].replace(":", ""))
        for port in set(fields[:2]) & set(ports):
            streams[port] += payload
    for port in ports:
        data = bytes(streams[port])
        # A ZMTP 3 greeting: signature 0xFF ... 0x7F, version 3, then the
        # mechanism name padded with zeros to 20 bytes.
        curve = b"\x7f\x03" in data and b"CURVE\x00" in data
        found = [m.decode() for m in MARKERS if m in data]
        print(f"{port} bytes={len(data)} curve={'yes' if curve else 'no'} "
              f"markers={','.join(found) if found else '-'}")


if __name__ == "__main__":
    main()
