#!/usr/bin/env python3
"""ssf_validate.py FILE...: check GWAS-SSF v1.0 data files and their -meta.yaml against the rules of the
standard (gwas-ssf_v1.0 Table 1 and 2) and of the GWAS Catalog's validator (gwas-sumstats-tools: its
pandera schema and metadata schema), written out here because the validator is not installable.
Exit 1 on the first file with a broken rule, printing every broken rule found.
The validator's minimum of 100,000 rows is a submission policy, not a format rule: not checked."""
import gzip
import hashlib
import math
import os
import re
import sys

import yaml

MANDATORY = ["chromosome", "base_pair_location", "effect_allele", "other_allele", None, "standard_error",
             "effect_allele_frequency", None]
EFFECT = ("beta", "odds_ratio", "hazard_ratio")
PCOL = ("p_value", "neg_log_10_p_value")
OPTIONAL_ORDER = ["variant_id", "rsid", "ref_allele", "ci_upper", "ci_lower", "info", "n"]
MISSING = {"", "NA", "N/A", "NaN", "nan", "NR", "None", "null"}
ALLELE = re.compile(r"^(LONG_STRING|[ACGTacgt]+)$")
VARIANT_ID = re.compile(r"^[A-Za-z0-9_]+$")
RSID = re.compile(r"^rs[0-9]+$")


def num(v):
    try:
        x = float(v)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def check_data(path, errs):
    if not (path.endswith(".tsv") or path.endswith(".tsv.gz")):
        errs.append("extension is not .tsv or .tsv.gz")
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    hdr = lines[0].split("\t")
    if len(hdr) < 8:
        errs.append("fewer than 8 columns")
        return None
    for i, want in enumerate(MANDATORY):
        if want and hdr[i] != want:
            errs.append(f"column {i} is {hdr[i]}, must be {want}")
    if hdr[4] not in EFFECT:
        errs.append(f"column 4 is {hdr[4]}, must be one of {EFFECT}")
    if hdr[7] not in PCOL:
        errs.append(f"column 7 is {hdr[7]}, must be one of {PCOL}")
    if len(set(hdr)) != len(hdr):
        errs.append("duplicate column names")
    pos = [hdr.index(c) for c in OPTIONAL_ORDER if c in hdr]
    if pos != sorted(pos):
        errs.append("encouraged columns out of the schema's order " + ",".join(OPTIONAL_ORDER))
    neglog = hdr[7] == "neg_log_10_p_value"
    ix = {c: i for i, c in enumerate(hdr)}
    last = (0, 0)
    sorted_ = True
    bad = {}

    def fail(rule, r):
        bad.setdefault(rule, r)

    for r, line in enumerate(lines[1:], start=2):
        f = line.split("\t")
        if len(f) != len(hdr):
            fail("row with a different number of fields than the header", r)
            continue
        for i, v in enumerate(f):
            if v in MISSING:
                fail(f"missing value written as '{v}', not #NA ({hdr[i]})", r)
            if i < 8 and v == "#NA":
                fail(f"#NA in mandatory column {hdr[i]}", r)
        c, bp = f[0], f[1]
        if not re.fullmatch(r"[0-9]+", c) or not 1 <= int(c) <= 25:
            fail("chromosome not an integer in 1..25", r)
        if not re.fullmatch(r"[0-9]+", bp) or int(bp) < 1:
            fail("base_pair_location not an integer >= 1", r)
        if c.isdigit() and bp.isdigit():
            key = (int(c), int(bp))
            sorted_ = sorted_ and key >= last
            last = key
        for a in (2, 3):
            if not ALLELE.match(f[a]):
                fail(f"{hdr[a]} not a nucleotide sequence", r)
        e = num(f[4])
        if e is None or (hdr[4] != "beta" and e < 0):
            fail(f"{hdr[4]} not valid", r)
        if num(f[5]) is None:
            fail("standard_error not numeric", r)
        af = num(f[6])
        if af is None or not 0 <= af <= 1:
            fail("effect_allele_frequency not in [0, 1]", r)
        p = f[7]
        if neglog:
            x = num(p)
            if x is None or x < 0:
                fail("neg_log_10_p_value not >= 0", r)
        else:
            m = re.fullmatch(r"([0-9.]+)(?:[eE]([-+]?[0-9]+))?", p)
            x = num(p)
            if not m or x is None or not 0 <= x <= 1:
                fail("p_value not in [0, 1]", r)
            elif float(m.group(1)) <= 0:
                fail("p_value mantissa not > 0", r)
            elif x == 0 or x < sys.float_info.min:
                fail("p_value below the double range (reads as 0): use neg_log_10_p_value", r)
        for col, rx in (("variant_id", VARIANT_ID), ("rsid", RSID)):
            if col in ix and f[ix[col]] != "#NA" and not rx.match(f[ix[col]]):
                fail(f"{col} does not match its pattern", r)
        if "ref_allele" in ix and f[ix["ref_allele"]] not in ("EA", "OA", "#NA"):
            fail("ref_allele not EA/OA/#NA", r)
        for col in ("ci_upper", "ci_lower"):
            if col in ix and f[ix[col]] != "#NA" and num(f[ix[col]]) is None:
                fail(f"{col} not numeric", r)
        if "info" in ix and f[ix["info"]] != "#NA" and not 0 <= (num(f[ix["info"]]) or -1) <= 1:
            fail("info not in [0, 1]", r)
        if "n" in ix and f[ix["n"]] != "#NA" and not re.fullmatch(r"[0-9]+", f[ix["n"]]):
            fail("n not an integer >= 0", r)
    for rule, r in bad.items():
        errs.append(f"{rule} (first at line {r})")
    return {"rows": len(lines) - 1, "sorted": sorted_, "neglog": neglog}


def check_meta(path, info, errs):
    mp = path + "-meta.yaml"
    if not os.path.exists(mp):
        errs.append(f"no metadata file {mp}")
        return
    with open(mp) as f:
        m = yaml.safe_load(f)
    for k in ("data_file_name", "file_type", "data_file_md5sum", "genome_assembly", "coordinate_system",
              "trait_description", "genotyping_technology", "samples", "is_sorted", "is_harmonised"):
        if k not in m or m[k] in (None, "", []):
            errs.append(f"metadata: mandatory {k} missing")
    if m.get("data_file_name") != os.path.basename(path):
        errs.append("metadata: data_file_name is not the file's name")
    with open(path, "rb") as f:
        if m.get("data_file_md5sum") != hashlib.md5(f.read()).hexdigest():
            errs.append("metadata: data_file_md5sum does not match")
    if m.get("file_type") != "GWAS-SSF v1.0":
        errs.append("metadata: file_type is not GWAS-SSF v1.0")
    if m.get("coordinate_system") not in ("0-based", "1-based"):
        errs.append("metadata: coordinate_system not 0-based/1-based")
    for k in ("trait_description", "genotyping_technology", "adjusted_covariates", "ontology_mapping"):
        if k in m and not (isinstance(m[k], list) and all(isinstance(x, str) for x in m[k])):
            errs.append(f"metadata: {k} is not a list of strings")
    for k in ("is_sorted", "is_harmonised"):
        if not isinstance(m.get(k), bool):
            errs.append(f"metadata: {k} is not a boolean")
    if m.get("is_sorted") is True and not info["sorted"]:
        errs.append("metadata: is_sorted is true but the rows are not sorted")
    if "sex" in m and m["sex"] not in ("M", "F", "combined", "NR"):
        errs.append("metadata: sex not M/F/combined/NR")
    if "gwas_id" in m and not re.fullmatch(r"GCST\d+", str(m["gwas_id"])):
        errs.append("metadata: gwas_id not GCST digits")
    s = m.get("samples")
    if not isinstance(s, list) or not s:
        errs.append("metadata: samples is not a non-empty list")
        return
    for e in s:
        if not isinstance(e.get("sample_size"), int) or e["sample_size"] < 1:
            errs.append("metadata: sample_size not a positive integer")
        if not isinstance(e.get("sample_ancestry_category"), list) or not e["sample_ancestry_category"]:
            errs.append("metadata: sample_ancestry_category missing")
        cc = e.get("case_control_study", False)
        if not isinstance(cc, bool):
            errs.append("metadata: case_control_study not a boolean")
        if cc:
            for k in ("case_count", "control_count"):
                if not isinstance(e.get(k), int):
                    errs.append(f"metadata: case-control study without an integer {k}")
            if isinstance(e.get("case_count"), int) and isinstance(e.get("control_count"), int) and \
                    e["case_count"] + e["control_count"] != e["sample_size"]:
                errs.append("metadata: case_count + control_count != sample_size")


def main():
    status = 0
    for path in sys.argv[1:]:
        errs = []
        info = check_data(path, errs)
        if info:
            check_meta(path, info, errs)
        if errs:
            status = 1
            print(f"{path}: INVALID")
            for e in errs:
                print("  " + e)
        else:
            print(f"{path}: valid GWAS-SSF v1.0 ({info['rows']} rows{', -log10 p' if info['neglog'] else ''})")
    sys.exit(status)


main()
