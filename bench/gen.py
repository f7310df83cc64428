#!/usr/bin/env python3
"""Benchmark data: a workforce CSV and HS256 bearer tokens (no call to `mobilise token`).

  gen.py csv FILE ROWS            employees E0000001.. spread over 150 countries
  gen.py tokens FILE ORG COUNT    one employee token per line (sub E0000001..)
  gen.py token ORG SUB ROLE...    one token on stdout
The secret is read from MOBILISE_JWT_SECRET. Claims: sub, org, roles, exp (+8 h).
"""
import base64, hashlib, hmac, json, os, sys, time

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

HEADER = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())

def token(secret: bytes, org: str, sub: str, roles, exp: int) -> str:
    payload = b64(json.dumps({"sub": sub, "org": org, "roles": roles, "exp": exp}, separators=(",", ":")).encode())
    signing = f"{HEADER}.{payload}".encode()
    return f"{HEADER}.{payload}.{b64(hmac.new(secret, signing, hashlib.sha256).digest())}"

# 150 ISO countries (all present in sql/0002_countries.sql); the first ones get more people.
COUNTRIES = ("IN BR US FR CN DE GB ES IT MX CA AU JP KR RU TR ID ZA EG NG AR CL CO PE VE SA AE IL PL CZ "
             "HU RO BG GR PT NL BE LU CH AT DK SE NO FI IE IS EE LV LT SK SI HR RS BA ME MK AL MD UA BY "
             "GE AM AZ KZ UZ TM KG TJ MN PK BD LK NP BT MM TH VN LA KH MY SG PH BN TL PG NZ FJ MA DZ TN "
             "LY SD ET KE UG TZ RW BI CD CG GA CM CF TD NE ML BF SN GM GN SL LR CI GH TG BJ MR AO ZM ZW "
             "MW MZ MG MU NA BW LS SZ CU DO HT JM TT BS BB PA CR NI HN SV GT BZ EC BO PY UY GY SR QA KW "
             "BH OM YE JO LB SY IQ IR").split()[:150]

def country(i: int) -> str:
    # Skewed: a quarter of the workforce in the first four countries, the rest spread evenly.
    return COUNTRIES[(i // 4) % 4] if i % 4 == 0 else COUNTRIES[(i * 7919) % 150]

def sub(i: int) -> str:
    return f"E{i:07d}"

def main():
    kind = sys.argv[1]
    if kind == "csv":
        path, rows = sys.argv[2], int(sys.argv[3])
        genders = ("male", "female", "male", "non_binary", "undisclosed")
        with open(path, "w") as f:
            f.write("external_id,email,display_name,country,site,org_unit,gender\n")
            for i in range(1, rows + 1):
                c = country(i)
                f.write(f"{sub(i)},e{i}@example.com,Employee {i},{c},{c}-site-{i % 3},/ops/{c.lower()},{genders[i % 5]}\n")
        return
    secret = os.environ["MOBILISE_JWT_SECRET"].encode()
    exp = int(time.time()) + 8 * 3600
    if kind == "tokens":
        path, org, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
        with open(path, "w") as f:
            for i in range(1, count + 1):
                f.write(token(secret, org, sub(i), ["employee"], exp) + "\n")
    elif kind == "token":
        print(token(secret, sys.argv[2], sys.argv[3], sys.argv[4:], exp))

if __name__ == "__main__":
    main()
