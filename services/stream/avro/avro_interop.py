#!/usr/bin/python3
"""Independent check of pfopt's Avro bytes with Debian's python3-avro (Apache Avro's Python
implementation). Called by avro_interop_test.cc with a directory holding cases.json and, per
case, the bytes pfopt wrote (<name>.cpp.bin). For each case it
  1. decodes pfopt's bytes and compares the datum with the expected one (exact floats),
  2. encodes the expected datum itself and requires byte equality with pfopt's bytes,
  3. writes its own bytes to <name>.py.bin for pfopt to decode,
and writes stats_reordered.py.bin: the stats case with every map in reverse key order (a
different writer's order), which pfopt must decode to the same values.
Exit status 0 when everything agrees; otherwise the differences are printed.
"""
import io
import json
import os
import sys

import avro.io
import avro.schema


def encode(schema, datum):
    buffer = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buffer))
    return buffer.getvalue()


def decode(schema, data):
    return avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(data)))


def main(directory):
    with open(os.path.join(directory, "cases.json")) as f:
        cases = json.load(f)
    failures = []
    for case in cases:
        with open(case["schema"]) as f:
            schema = avro.schema.parse(f.read())
        datum = case["datum"]
        for field in case.get("bytes_fields", []):
            datum[field] = datum[field].encode("latin-1")
        with open(os.path.join(directory, case["name"] + ".cpp.bin"), "rb") as f:
            ours = f.read()
        decoded = decode(schema, ours)
        if decoded != datum:
            failures.append("%s: python3-avro decodes pfopt's bytes to %r, expected %r"
                            % (case["name"], decoded, datum))
        theirs = encode(schema, datum)
        if theirs != ours:
            failures.append("%s: bytes differ\n  pfopt  %s\n  python %s"
                            % (case["name"], ours.hex(), theirs.hex()))
        with open(os.path.join(directory, case["name"] + ".py.bin"), "wb") as f:
            f.write(theirs)
        if case["name"] == "stats":
            reordered = dict(datum)
            reordered["meanReturns"] = dict(reversed(list(datum["meanReturns"].items())))
            reordered["covarianceMatrix"] = {
                row: dict(reversed(list(cols.items())))
                for row, cols in reversed(list(datum["covarianceMatrix"].items()))}
            with open(os.path.join(directory, "stats_reordered.py.bin"), "wb") as f:
                f.write(encode(schema, reordered))
    for failure in failures:
        print(failure)
    print("python3-avro checked %d cases, %d failures" % (len(cases), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
