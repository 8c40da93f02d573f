"""Grid operators' CSV exports as their sites write them, byte for byte (encodings, separators, number forms, title
and units lines, clock changes), each with the series it should read as: 31 files of 2 to 3 weeks each, written by a
red team's review on 2026-12-07 (test_grid_exports.py reads them). `CASES`: (name, bytes, the expected series on
local wall-clock interval starts, or None where only its shape is checked, the column namings a visitor would try)."""
import numpy as np
import pandas as pd

CASES = []  # (name, bytes, expected: pd.Series on local wall-clock interval starts (native step), kwargs variants)


def case(name, data, expected, variants=({},)):
    CASES.append((name, data, expected, list(variants)))


def steps(tz, start, end, minutes, scale, seed=0):
    """Local wall-clock interval starts between start and end (local dates), with tz-aware times and values."""
    idx = pd.date_range(pd.Timestamp(start, tz=tz), pd.Timestamp(end, tz=tz), freq=f"{minutes}min", inclusive="left")
    local = idx.tz_localize(None)
    h = local.hour + local.minute / 60
    daily = 0.72 + 0.22 * np.exp(-((h - 19) / 2.5) ** 2) + 0.18 * np.exp(-((h - 10.5) / 3) ** 2) \
        + 0.1 * ((h > 7) & (h < 22))
    week = np.where(local.day_of_week == 5, 0.9, np.where(local.day_of_week == 6, 0.85, 1.0))
    rng = np.random.default_rng(seed)
    vals = scale * daily * week * (1 + 0.01 * rng.standard_normal(len(idx)))
    return pd.DataFrame({"aware": idx, "local": local, "value": vals})


def exp(frame, decimals=0, col="value"):
    v = frame[col].round(decimals)
    return pd.Series(v.to_numpy(), index=pd.DatetimeIndex(frame["local"]))


def enc(text, encoding="utf-8", newline="\n"):
    return text.replace("\n", newline).encode(encoding)


def de_num(x, decimals=2):  # German: 1.234,56
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "X").replace(".", ",").replace("X", ".")


# ---------------- Japan: TEPCO juyo (hourly, 万kW, Shift-JIS) -------------
f = steps("Asia/Tokyo", "2024-01-01", "2024-01-22", 60, 3600)
f["value"] = f["value"].round()
lines = ["2024/1/22 9:05 UPDATE", "DATE,TIME,実績(万kW)"]
lines += [f"{t.year}/{t.month}/{t.day},{t.hour}:{t.minute:02d},{int(v)}" for t, v in zip(f.local, f.value)]
case("JP TEPCO juyo (cp932, title, DATE/TIME, 万kW)", enc("\n".join(lines) + "\n", "cp932", "\r\n"), exp(f),
     [{}, {"value_column": "実績(万kW)"}])

# TEPCO area supply-demand (eria_jukyu), half-hourly from April 2024, units line, many columns
f = steps("Asia/Tokyo", "2024-04-01", "2024-04-15", 30, 14000, 1)
f["value"] = f["value"].round()
cols = ["DATE", "TIME", "エリア需要", "原子力", "火力(LNG)", "火力(石炭)", "火力(石油)", "火力(その他)", "水力", "地熱",
        "バイオマス", "太陽光発電実績", "太陽光出力制御量", "風力発電実績", "風力出力制御量", "揚水", "蓄電池", "連系線", "その他", "合計"]
lines = ["単位[MWh]" + "," * (len(cols) - 1), ",".join(cols)]
for t, v in zip(f.local, f.value):
    rest = [0, int(v * .5), int(v * .3), 50, 120, int(v * .05), 0, 40, max(0, int(2000 * np.sin((t.hour - 6) / 12 * np.pi))), 0, 3, 0,
            -100, 0, int(v * .1), 20]
    lines.append(f"{t.year}/{t.month}/{t.day},{t.hour}:{t.minute:02d},{int(v)}," + ",".join(map(str, rest)) + f",{int(v)}")
case("JP TEPCO area jukyu 30-min (cp932, units line)", enc("\n".join(lines) + "\n", "cp932", "\r\n"), exp(f),
     [{}, {"value_column": "エリア需要"}])

# ---------------- Korea: KPX hourly demand, wide 1시..24시 (cp949) ------------
f = steps("Asia/Seoul", "2024-01-01", "2024-01-22", 60, 70000, 2)
f["value"] = f["value"].round()
lines = ["날짜," + ",".join(f"{h}시" for h in range(1, 25))]
for d, g in f.groupby(f.local.dt.date):
    lines.append(f"{d:%Y-%m-%d}," + ",".join(str(int(v)) for v in g.value))
# KPX 1시 = hour ending 01:00 -> value of 00:00-01:00
case("KR KPX wide 날짜,1시..24시 (cp949)", enc("\n".join(lines) + "\n", "cp949", "\r\n"), exp(f))

# ---------------- France RTE eCO2mix (tab, cp1252, 15-min, disclaimer, spring change) ---------------
f = steps("Europe/Paris", "2024-03-20", "2024-04-05", 15, 60000, 3)
f["value"] = f["value"].round()
hdr = ("Périmètre\tNature\tDate\tHeures\tConsommation\tPrévision J-1\tPrévision J\tFioul\tCharbon\tGaz\tNucléaire\t"
       "Eolien\tSolaire\tHydraulique\tPompage\tBioénergies\tEch. physiques\tTaux de Co2")
lines = [hdr]
for t, v in zip(f.local, f.value):
    lines.append(f"France\tDonnées temps réel\t{t:%Y-%m-%d}\t{t:%H:%M}\t{int(v)}\t{int(v) + 300}\t{int(v) - 150}\t"
                 f"110\t0\t2400\t{int(v * .7)}\t3200\t1500\t7000\t-900\t1000\t-8000\t21")
lines.append("RTE ne pourra être tenu responsable de l'utilisation qui pourrait être faite des données mises à "
             "disposition, ni en cas de prévisions qui se révèleraient imprécises.")
case("FR RTE eCO2mix .xls-as-TSV (cp1252, 15-min, spring DST)", enc("\n".join(lines) + "\n", "cp1252"), exp(f),
     [{}, {"value_column": "Consommation"}])

# ODRE open-data export: ; + UTF-8 BOM, 'Date - Heure' with offset, rows unsorted, :15/:45 consumption empty, autumn
f = steps("Europe/Paris", "2024-10-15", "2024-11-01", 15, 55000, 4)
f["value"] = f["value"].round()
hdr = "Périmètre;Nature;Date;Heure;Date - Heure;Consommation (MW);Prévision J-1 (MW);Prévision J (MW);Fioul (MW)"
rows = []
for a, t, v in zip(f.aware, f.local, f.value):
    cons = "" if t.minute in (15, 45) else str(int(v))
    rows.append(f"France;Données temps réel;{t:%Y-%m-%d};{t:%H:%M};{a.isoformat()};{cons};{int(v) + 200};{int(v)};110")
rng = np.random.default_rng(9)
order = rng.permutation(len(rows))
text = hdr + "\n" + "\n".join(rows[i] for i in order) + "\n"
half = f[f.local.dt.minute.isin([0, 30])]
case("FR ODRE eco2mix (; BOM, unsorted rows, blanks at :15/:45, autumn DST)", b"\xef\xbb\xbf" + enc(text), exp(half),
     [{}, {"value_column": "Consommation (MW)"}])
sorted_text = hdr + "\n" + "\n".join(rows) + "\n"
case("FR ODRE eco2mix sorted (same, rows in time order)", b"\xef\xbb\xbf" + enc(sorted_text), exp(half),
     [{"value_column": "Consommation (MW)"}])

# ---------------- Spain REE e-sios export: ; quoted, 'value','datetime' with offset, 5-min, autumn --------------
f = steps("Europe/Madrid", "2024-10-14", "2024-11-01", 5, 27000, 5)
f["value"] = f["value"].round()
lines = ['"id";"name";"geoid";"geoname";"value";"datetime_utc";"tz_time";"datetime"']
for a, v in zip(f.aware, f.value):
    u = a.tz_convert("UTC")
    lines.append(f'"1293";"Demanda real";"8741";"Peninsula";"{int(v)}";"{u:%Y-%m-%dT%H:%M:%SZ}";'
                 f'"{u:%Y-%m-%dT%H:%M:%S.000Z}";"{a.isoformat()}"')
case("ES REE e-sios Demanda real (; quoted, 5-min, offsets, autumn DST)", enc("\n".join(lines) + "\n"), exp(f),
     [{}, {"time_column": "datetime"}])

# REE REData / demanda.ree.es style: hourly, decimal comma, Spanish header, dd/mm/yyyy H:MM
f = steps("Europe/Madrid", "2024-03-18", "2024-04-05", 60, 27000, 6)
lines = ["Fecha;Hora;Demanda real (MW);Demanda prevista (MW);Demanda programada (MW)"]
for t, v in zip(f.local, f.value):
    lines.append(f"{t:%d/%m/%Y};{t:%H:%M};{v:.1f}".replace(".", ",") + f";{v + 120:.1f};{v - 80:.1f}".replace(".", ","))
case("ES REE demanda Fecha;Hora (decimal comma, spring DST)", b"\xef\xbb\xbf" + enc("\n".join(lines) + "\n"), exp(f, 1),
     [{}, {"value_column": "Demanda real (MW)"}])

# ---------------- Germany SMARD ----------------------------------------------
f = steps("Europe/Berlin", "2024-10-14", "2024-11-01", 15, 14000, 7)
f["value"] = f["value"].round(2)
lines = ["Datum;Anfang;Ende;Gesamt (Netzlast) [MWh] Originalauflösungen;Residuallast [MWh] Originalauflösungen;"
         "Pumpspeicher [MWh] Originalauflösungen"]
for a, t, v in zip(f.aware, f.local, f.value):
    e = (a + pd.Timedelta(minutes=15)).tz_localize(None)
    lines.append(f"{t:%d.%m.%Y};{t:%H:%M};{e:%H:%M};{de_num(v)};{de_num(v * .6)};{de_num(120.25)}")
case("DE SMARD Datum;Anfang;Ende (15-min, 1.234,56, autumn DST)", b"\xef\xbb\xbf" + enc("\n".join(lines) + "\n"), exp(f, 2),
     [{}, {"value_column": "Gesamt (Netzlast) [MWh] Originalauflösungen"}])

f = steps("Europe/Berlin", "2024-03-18", "2024-04-05", 60, 55000, 8)
f["value"] = f["value"].round(2)
lines = ["Datum von;Datum bis;Netzlast [MWh] Berechnete Auflösungen;Netzlast inkl. Pumpspeicher [MWh] Berechnete Auflösungen"]
for a, t, v in zip(f.aware, f.local, f.value):
    e = (a + pd.Timedelta(hours=1)).tz_localize(None)
    lines.append(f"{t:%d.%m.%Y %H:%M};{e:%d.%m.%Y %H:%M};{de_num(v)};{de_num(v + 700)}")
case("DE SMARD new 'Datum von;Datum bis' hourly (spring DST)", b"\xef\xbb\xbf" + enc("\n".join(lines) + "\n"), exp(f, 2),
     [{}, {"time_column": "Datum von", "value_column": "Netzlast [MWh] Berechnete Auflösungen"}])

# ---------------- UK National Grid ESO demanddata ---------------------------
ESO_COLS = ("SETTLEMENT_DATE,SETTLEMENT_PERIOD,ND,TSD,ENGLAND_WALES_DEMAND,EMBEDDED_WIND_GENERATION,EMBEDDED_WIND_CAPACITY,"
            "EMBEDDED_SOLAR_GENERATION,EMBEDDED_SOLAR_CAPACITY,NON_BM_STOR,PUMP_STORAGE_PUMPING,SCOTTISH_TRANSFER,IFA_FLOW,"
            "IFA2_FLOW,BRITNED_FLOW,MOYLE_FLOW,EAST_WEST_FLOW,NEMO_FLOW,NSL_FLOW,ELECLINK_FLOW,VIKING_FLOW,GREENLINK_FLOW")


def eso(start, end, datefmt, seed):
    f = steps("Europe/London", start, end, 30, 28000, seed)
    f["value"] = f["value"].round()
    f["day"] = f.local.dt.date
    f["sp"] = f.groupby("day").cumcount() + 1
    lines = [ESO_COLS]
    for d, sp, v in zip(f.day, f.sp, f.value):
        ds = pd.Timestamp(d).strftime(datefmt).upper() if "b" in datefmt else pd.Timestamp(d).strftime(datefmt)
        lines.append(f"{ds},{sp},{int(v)},{int(v) + 1500},{int(v * .9)},1500,6500,0,15000,0,{sp % 7 * 10},-500,"
                     "1000,900,800,-200,-300,700,1400,900,1000,0")
    return f, "\n".join(lines) + "\n"


f, text = eso("2024-03-20", "2024-04-06", "%d-%b-%Y", 10)
case("UK ESO demanddata spring (DD-MON-YYYY, SP 1-46 on 31 Mar)", enc(text), exp(f), [{}, {"value_column": "ND"}])
f, text = eso("2024-10-15", "2024-11-02", "%Y-%m-%d", 11)
case("UK ESO demanddata autumn (ISO date, SP 1-50 on 27 Oct)", enc(text), exp(f), [{"value_column": "ND"}])

# ---------------- US ERCOT ---------------------------------------------------
f = steps("America/Chicago", "2024-03-01", "2024-03-20", 60, 48000, 12)
f["value"] = f["value"].round(6)
lines = ["Hour Ending,COAST,EAST,FWEST,NORTH,NCENT,SOUTH,SCENT,WEST,ERCOT"]
for t, v in zip(f.local, f.value):
    he = t + pd.Timedelta(hours=1)
    label = f"{t:%m/%d/%Y} 24:00" if he.hour == 0 else f"{he:%m/%d/%Y %H:%M}"
    parts = [v * p for p in (.28, .03, .08, .02, .27, .07, .14, .03)]
    lines.append(label + "," + ",".join(f"{p:.6f}" for p in parts) + f",{sum(parts):.6f}")
f["value"] = [float(f"{sum(v * p for p in (.28, .03, .08, .02, .27, .07, .14, .03)):.6f}") for v in f.value]
case("US ERCOT Native_Load 'Hour Ending' 24:00 (spring DST)", enc("\n".join(lines) + "\n", newline="\r\n"), exp(f, 6),
     [{}, {"value_column": "ERCOT"}])

f = steps("America/Chicago", "2024-10-20", "2024-11-08", 60, 45000, 13)
f["value"] = f["value"].round(2)
lines = ["OperDay,HourEnding,COAST,EAST,FAR_WEST,NORTH,NORTH_C,SOUTHERN,SOUTH_C,WEST,TOTAL,DSTFlag"]
prev = None
for a, t, v in zip(f.aware, f.local, f.value):
    he = t + pd.Timedelta(hours=1)
    day, lab = (t.strftime("%m/%d/%Y"), "24:00") if he.hour == 0 else (t.strftime("%m/%d/%Y"), f"{he:%H}:00")
    dst = "Y" if (prev is not None and t == prev) else "N"
    prev = t
    parts = [round(v * p, 2) for p in (.3, .04, .08, .03, .28, .08, .15)]
    parts.append(round(v - sum(parts), 2))
    lines.append(f"{day},{lab}," + ",".join(f"{p:.2f}" for p in parts) + f",{v:.2f},{dst}")
case("US ERCOT MIS OperDay,HourEnding,...,DSTFlag (autumn)", enc("\n".join(lines) + "\n", newline="\r\n"), exp(f, 2),
     [{}, {"value_column": "TOTAL"}])

# ---------------- US CAISO OASIS (SLD_FCST actual, GMT stamps, several TAC areas) -------------------
f = steps("America/Los_Angeles", "2024-01-01", "2024-01-15", 60, 26000, 14)
f["value"] = f["value"].round(2)
hdr = ("INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,OPR_INTERVAL,MARKET_RUN_ID,TAC_AREA_NAME,LABEL,"
       "XML_DATA_ITEM,POS,MW,EXECUTION_TYPE,GROUP")
one, many = [hdr], [hdr]
for area, k in (("CA ISO-TAC", 1.0), ("PGE-TAC", .42), ("SCE-TAC", .45)):
    for a, t, v in zip(f.aware, f.local, f.value):
        u = a.tz_convert("UTC")
        row = (f"{u:%Y-%m-%dT%H:%M:%S}-00:00,{u + pd.Timedelta(hours=1):%Y-%m-%dT%H:%M:%S}-00:00,{t:%Y-%m-%d},{t.hour + 1},0,"
               f"ACTUAL,{area},Total Actual Hourly Integrated Load,SYS_FCST_ACT_MW,3.8,{v * k:.2f},ACTUAL,1")
        many.append(row)
        if area == "CA ISO-TAC":
            one.append(row)
case("US CAISO OASIS SLD_FCST one TAC area (GMT stamps)", enc("\n".join(one) + "\n"), exp(f, 2),
     [{}, {"value_column": "MW"}, {"time_column": "OPR_DT", "value_column": "MW"}])
case("US CAISO OASIS SLD_FCST three TAC areas", enc("\n".join(many) + "\n"), exp(f, 2), [{"value_column": "MW"}])

# ---------------- US PJM Data Miner hrl_load_metered (AM/PM, autumn repeat) ----------------------------
f = steps("America/New_York", "2024-10-20", "2024-11-08", 60, 95000, 15)
f["value"] = f["value"].round(3)
lines = ["datetime_beginning_utc,datetime_beginning_ept,nerc_region,mkt_region,zone,load_area,mw,is_verified"]


def ampm(t):
    return f"{t.month}/{t.day}/{t.year} {(t.hour % 12) or 12}:{t.minute:02d}:00 {'AM' if t.hour < 12 else 'PM'}"


for a, t, v in zip(f.aware, f.local, f.value):
    lines.append(f"{ampm(a.tz_convert('UTC').tz_localize(None))},{ampm(t)},RFC,MIDATL,PJM RTO,PJM RTO,{v:.3f},True")
case("US PJM hrl_load_metered (datetime_beginning_ept AM/PM, autumn)", enc("\n".join(lines) + "\n"), exp(f, 3),
     [{}, {"value_column": "mw"}, {"time_column": "datetime_beginning_ept", "value_column": "mw"}])

# ---------------- ENTSO-E transparency -------------------------------------
f = steps("Europe/Berlin", "2024-10-14", "2024-11-01", 15, 55000, 16)
f["value"] = f["value"].round()
lines = ['"Time (CET/CEST)","Day-ahead Total Load Forecast [MW] - BZN|DE-LU","Actual Total Load [MW] - BZN|DE-LU"']
for a, t, v in zip(f.aware, f.local, f.value):
    e = (a + pd.Timedelta(minutes=15)).tz_localize(None)
    lines.append(f'"{t:%d.%m.%Y %H:%M} - {e:%d.%m.%Y %H:%M}","{int(v) + 400}","{int(v)}"')
for k in range(8):  # the rest of today: forecast only
    t = pd.Timestamp("2024-11-01") + pd.Timedelta(minutes=15 * k)
    e = t + pd.Timedelta(minutes=15)
    lines.append(f'"{t:%d.%m.%Y %H:%M} - {e:%d.%m.%Y %H:%M}","50000",""')
case("ENTSO-E Total Load DE-LU (quoted, intervals, 15-min, autumn)", enc("\n".join(lines) + "\n"), exp(f),
     [{}, {"value_column": "Actual Total Load [MW] - BZN|DE-LU"}])

f = steps("Europe/Paris", "2024-03-18", "2024-04-05", 60, 55000, 17)
f["value"] = f["value"].round()
lines = ['"MTU (CET/CEST)","Area","Day-ahead Total Load Forecast (MW)","Actual Total Load (MW)"']
for a, t, v in zip(f.aware, f.local, f.value):
    e = (a + pd.Timedelta(hours=1)).tz_localize(None)
    lines.append(f'"{t:%d/%m/%Y %H:%M:%S} - {e:%d/%m/%Y %H:%M:%S}","BZN|FR","{int(v) + 500}","{int(v)}"')
case("ENTSO-E new platform MTU dd/mm/yyyy hh:mm:ss (FR hourly, spring)", enc("\n".join(lines) + "\n"), exp(f),
     [{}, {"value_column": "Actual Total Load (MW)"}])

# ---------------- India Grid-India (15-min blocks) ----------------------------
f = steps("Asia/Kolkata", "2024-05-01", "2024-05-15", 15, 210000, 18)
f["value"] = f["value"].round()
lines = ["Date,Block,Time,Frequency (Hz),Demand Met (MW)"]
for t, v in zip(f.local, f.value):
    b = t.hour * 4 + t.minute // 15 + 1
    e = t + pd.Timedelta(minutes=15)
    lines.append(f"{t:%d-%m-%Y},{b},{t:%H:%M}-{e:%H:%M},50.01,{int(v)}")
case("IN Grid-India 96 blocks (dd-mm-yyyy, Block, 00:00-00:15)", enc("\n".join(lines) + "\n", newline="\r\n"), exp(f),
     [{}, {"value_column": "Demand Met (MW)"}])

# ---------------- Brazil ONS -------------------------------------------------
f = steps("America/Sao_Paulo", "2024-01-01", "2024-01-15", 60, 42000, 19)
f["value"] = f["value"].round(3)
lines = ["id_subsistema;nom_subsistema;din_instante;val_cargaenergiahomwmed"]
multi = list(lines)
for t, v in zip(f.local, f.value):
    lines.append(f"SE;SUDESTE;{t:%Y-%m-%d %H:%M:%S};{v:.3f}".replace(".", ","))
for sid, nom, k in (("N", "NORTE", .13), ("NE", "NORDESTE", .2), ("S", "SUL", .22), ("SE", "SUDESTE", 1)):
    for t, v in zip(f.local, f.value):
        multi.append(f"{sid};{nom};{t:%Y-%m-%d %H:%M:%S};{v * k:.3f}".replace(".", ","))
case("BR ONS curva de carga SE only (; decimal comma)", enc("\n".join(lines) + "\n"), exp(f, 3),
     [{}, {"value_column": "val_cargaenergiahomwmed"}])
case("BR ONS curva de carga 4 subsystems", enc("\n".join(multi) + "\n"), exp(f, 3),
     [{"value_column": "val_cargaenergiahomwmed"}])

# ---------------- New Zealand EMI ---------------------------------------------
for start, end, tag, seed in (("2024-03-28", "2024-04-15", "autumn 7 Apr (TP 1-50)", 20),
                              ("2024-09-20", "2024-10-08", "spring 29 Sep (TP 1-46)", 21)):
    f = steps("Pacific/Auckland", start, end, 30, 5200, seed)
    f["value"] = f["value"].round(1)
    f["day"] = f.local.dt.date
    f["tp"] = f.groupby("day").cumcount() + 1
    lines = ["Trading date,Trading period,Region,Demand (MW)"]
    for d, tp, v in zip(f.day, f.tp, f.value):
        lines.append(f"{d:%d/%m/%Y},{tp},New Zealand,{v:.1f}")
    case(f"NZ EMI Trading date,Trading period {tag}", enc("\n".join(lines) + "\n"), exp(f, 1),
         [{}, {"value_column": "Demand (MW)"}])
# wide: TP1..TP50 (EMI reconciled data)
lines = ["POC,NWK_CODE,UNIT_MEASURE,TRADING_DATE," + ",".join(f"TP{k}" for k in range(1, 51))]
for d, g in f.groupby("day"):
    vals = [f"{v:.3f}" for v in g.value / 2] + [""] * (50 - len(g))
    lines.append(f"HAY2201,WELL,KWH,{d:%d/%m/%Y}," + ",".join(vals))
case("NZ EMI wide TRADING_DATE,TP1..TP50", enc("\n".join(lines) + "\n"), None, [{}])

# ---------------- South Africa Eskom -----------------------------------------
f = steps("Africa/Johannesburg", "2024-06-01", "2024-06-18", 60, 27000, 22)
f["value"] = f["value"].round(3)
lines = ["Date Time Hour Beginning,Residual Forecast,RSA Contracted Forecast,Residual Demand,RSA Contracted Demand"]
for t, v in zip(f.local, f.value):
    lines.append(f"{t:%Y-%m-%d %H:%M:%S},{v - 1400:.3f},{v + 60:.3f},{v - 1500:.3f},{v:.3f}")
for k in range(48):  # forecast-only rows
    t = pd.Timestamp("2024-06-18") + pd.Timedelta(hours=k)
    lines.append(f"{t:%Y-%m-%d %H:%M:%S},25000.000,26500.000,,")
case("ZA Eskom hourly (Date Time Hour Beginning, forecast rows w/o actual)", enc("\n".join(lines) + "\n"), exp(f, 3),
     [{}, {"value_column": "RSA Contracted Demand"}])

# ---------------- Ontario IESO PUB_Demand ------------------------------------
f = steps("Etc/GMT+5", "2024-03-01", "2024-03-20", 60, 16000, 23)
f["value"] = f["value"].round()
lines = ["\\Hourly Demand Report,,,", "\\Created at 2024-03-20 09:05:11,,,", "\\For 2024,,,",
         "Date,Hour,Market Demand,Ontario Demand"]
for t, v in zip(f.local, f.value):
    lines.append(f"{t:%Y-%m-%d},{t.hour + 1},{int(v) + 2200},{int(v)}")
case("CA IESO PUB_Demand (\\ title lines, Date,Hour 1-24, EST)", enc("\n".join(lines) + "\n"), exp(f),
     [{}, {"value_column": "Ontario Demand"}])

# ---------------- Excel 'Unicode text' (UTF-16LE BOM, tab) of a Japanese export -------------
f = steps("Asia/Tokyo", "2024-01-01", "2024-01-15", 60, 3600, 24)
f["value"] = f["value"].round()
lines = ["日時\t需要(万kW)"] + [f"{t:%Y/%m/%d %H:%M}\t{int(v)}" for t, v in zip(f.local, f.value)]
case("Excel Unicode text UTF-16LE BOM, tab (日時, 需要)", enc("\ufeff" + "\n".join(lines) + "\n", "utf-16-le", "\r\n"),
     exp(f), [{}])

# ---------------- German hourly wide export (Stadtwerke / Excel: one row per day, 24 columns, ; decimal comma) ----
f = steps("Europe/Berlin", "2024-01-01", "2024-01-15", 60, 420, 25)
f["value"] = f["value"].round(1)
lines = ["Datum;" + ";".join(f"{h:02d}:00-{h + 1:02d}:00" for h in range(24))]
for d, g in f.groupby(f.local.dt.date):
    lines.append(f"{d:%d.%m.%Y};" + ";".join(de_num(v, 1) for v in g.value))
case("DE wide Datum;00:00-01:00..23:00-24:00 (decimal comma)", enc("\n".join(lines) + "\n", "cp1252", "\r\n"), None, [{}])

# ---------------- ; header with a comma in a column name -----------------------
f = steps("Europe/Rome", "2024-01-08", "2024-01-22", 60, 30000, 26)
f["value"] = f["value"].round()
lines = ["Data;Ora;Carico totale (MW, media oraria)"] + [f"{t:%d/%m/%Y};{t:%H:%M};{int(v)}" for t, v in zip(f.local, f.value)]
case("IT Terna-like ; header with comma in a name 'Carico (MW, media oraria)'", enc("\n".join(lines) + "\n"), exp(f),
     [{}, {"value_column": "Carico totale (MW, media oraria)"}])

# ---------------- EIA-930-like: hour ending 'a.m. EST', quoted thousands, units row, Total ----------
f = steps("Etc/GMT+5", "2024-01-01", "2024-01-15", 60, 14000, 27)
f["value"] = f["value"].round()


def eia(t):
    h = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year} {h} {'a.m.' if t.hour < 12 else 'p.m.'} EST"


lines = ["Timestamp (Hour Ending),Demand (MWh)", ",MWh"]
lines += [f'{eia(t + pd.Timedelta(hours=1))},"{int(v):,}"' for t, v in zip(f.local, f.value)]
lines.append(f'Total,"{int(f.value.sum()):,}"')
case("US EIA-930-like hour ending '1/1/2024 1 a.m. EST', \"14,123\", units row, Total", enc("\n".join(lines) + "\n"),
     exp(f), [{}, {"value_column": "Demand (MWh)"}])
