"""The time and value columns of an upload that names none, found as grid operators name them (a red team's review
of 24 operators' exports: two loaded without a column named, several took two failed uploads, time then value)."""
import pandas as pd
import pytest

from rnn_demo.forecast.column_names import usual_value
from rnn_demo.forecast.upload import _time_name, read_series_upload


@pytest.mark.parametrize("header, time, value", [
    ("Date - Heure;Consommation;Prévision J-1;Prévision J", "Date - Heure", "Consommation"),  # RTE éCO2mix
    ("Périmètre;Nature;Date;Heure;Date - Heure;Consommation", "Date - Heure", "Consommation"),  # ODRE: the stamps
    # with their offsets, not the date to join with its times (the autumn hour kept its second reading)
    ("Time (CET/CEST);Day-ahead Total Load Forecast [MW];Actual Total Load [MW]", "Time (CET/CEST)",
     "Actual Total Load [MW]"),  # ENTSO-E: the actual load, not the forecast before it
    ("datetime_beginning_utc,datetime_beginning_ept,nerc_region,mw", "datetime_beginning_ept", "mw"),  # PJM
    ("din_instante;id_subsistema;val_cargaenergiahomwmed", "din_instante", "val_cargaenergiahomwmed"),  # ONS
    ("Date Time Hour Beginning,Residual Forecast,RSA Contracted Demand", "Date Time Hour Beginning",
     "RSA Contracted Demand"),  # Eskom
    ("DATE,TIME,当日実績(万kW),予測値(万kW),使用率(%)", "TIME", "当日実績(万kW)"),  # TEPCO: 実績 is the actual
    ("Timestamp (Hour Ending),Demand (MWh),Demand forecast (MWh)", "Timestamp (Hour Ending)", "Demand (MWh)"),  # EIA
    ("when,a,b", None, None),
    ("time,price,load_forecast", "time", None),  # a file of forecasts alone: which to read is the visitor's to say
    # a review's: a unit alone read Solar before Demand, "real" the real-time price, "load" a load factor or area
    ("Timestamp,Solar (MW),Demand (MW)", "Timestamp", "Demand (MW)"),
    ("Time,Day-Ahead Price ($/MWh),Real-Time Price ($/MWh),Load (MW)", "Time", "Load (MW)"),
    ("Timestamp (UTC),Load factor,Generation (MWh)", "Timestamp (UTC)", None),
    ("datetime_beginning_utc,datetime_beginning_ept,zone,load_area,mw,is_verified", "datetime_beginning_ept", "mw"),
    ("MTU,Biomass - Actual Aggregated [MW],Actual Total Load [MW]", "MTU", "Actual Total Load [MW]"),
    ("Time,Wind (MW),Solar (MW)", "Time", None),  # two units alone: the visitor says which
    ("Date,TimeStamp,Value", "TimeStamp", "Value"),  # camel case; and a zone beside a name:
    ("Date,Datetime (UTC),Load", "Datetime (UTC)", "Load"),
    # a red team's operators again: local stamps before UTC ones (PJM), a residual's aside (Eskom), Spanish and ONS's
    ("datetime_beginning_utc,datetime_beginning_ept,load_area,mw", "datetime_beginning_ept", "mw"),
    ("Date Time Hour Beginning,Residual Forecast,Residual Demand,RSA Contracted Demand", "Date Time Hour Beginning",
     "RSA Contracted Demand"),
    ("Fecha;Hora;Demanda real (MW);Demanda prevista (MW);Demanda programada (MW)", "Fecha", "Demanda real (MW)"),
    ("id_subsistema;nom_subsistema;din_instante;val_cargaenergiahomwmed", "din_instante", "val_cargaenergiahomwmed"),
    ("Datum von;Datum bis;Netzlast [MWh]", "Datum von", "Netzlast [MWh]"),
    ("Date,Hour,Market Demand,Ontario Demand", "Date", None),  # two demands alike: the visitor says which
])
def test_operators_column_names_are_found(header, time, value):
    columns = header.split(";" if ";" in header else ",")
    assert _time_name(columns, None) == time and usual_value(columns, {time}) == value


def test_an_operators_export_loads_with_no_column_named_and_both_missing_names_are_asked_at_once():
    hours = pd.date_range("2024-03-04", periods=24 * 14, freq="h", tz="Europe/Paris")
    rows = "".join(f"{t:%Y-%m-%dT%H:%M%z};{50000 + 100 * t.hour};{49000 + 100 * t.hour}\n" for t in hours)
    series, notes = read_series_upload(("Date - Heure;Consommation;Prévision J-1\n" + rows).encode())
    assert series.values[:2].tolist() == [50000, 50100] and notes[-1].startswith("Read 336 steps from column “Consommation”")
    with pytest.raises(ValueError, match="name the time and value columns: the file's columns are id, a, b"):
        read_series_upload(b"id,a,b\n1,2,3\n2,3,4\n")
    with pytest.raises(ValueError, match="name the value column: the file's columns are time, a, b"):
        read_series_upload(b"time,a,b\n2024-01-01,2,3\n")


@pytest.mark.parametrize("header, day", [("OPR_DT,OPR_HR,MW", "2024-01-{d:02d}"),  # CAISO OASIS
                                         ("Data Date,Hour Number,Demand (MW)", "01/{d:02d}/2024")])  # EIA-930
def test_a_date_beside_an_hour_number_is_read_as_hour_ending_periods(header, day):
    """It was "the file holds several series" naming the date column, "cannot be read: '1'" naming the hour's."""
    rows = "".join(f"{day.format(d=d)},{h},{20000 + 100 * h}\n" for d in range(1, 15) for h in range(1, 25))
    series, notes = read_series_upload((header + "\n" + rows).encode())
    assert series.times[0] == pd.Timestamp("2024-01-01 00:00") and series.values[:2].tolist() == [20100, 20200]
    assert len(series) == 336 and "period 1 starting at midnight" in notes[0]


def test_a_semicolon_file_with_a_comma_in_a_column_name_is_read_by_semicolons():
    """`Data;Ora;Carico (MW, media oraria)`: the header's comma made the file comma-separated ("336 time stamps cannot
    be read: '01/01/2024;00:00;20000'"); the line under the header splits by semicolons alike, not by commas."""
    from rnn_demo.uploads import header_delimiter

    assert header_delimiter("Data;Ora;Carico (MW, media oraria)", "01/01/2024;00:00;20000") == ";"
    assert header_delimiter("time,load (MW; hourly)", "2024-01-01 00:00,20000") == ","  # a comma file stays so
    assert header_delimiter("a;b, c", "1;2, 3") == ","  # both split alike: the comma, as before
    assert header_delimiter("Data;Ora;Carico (MW, media oraria)", "01/01/2024;00:00;20000,5") == ";"  # a decimal comma
    rows = "".join(f"{d:02d}/01/2024;{h:02d}:00;{20000 + 100 * h}\n" for d in range(1, 15) for h in range(24))
    series, notes = read_series_upload(("Data;Ora;Carico (MW, media oraria)\n" + rows).encode())
    assert series.values[:2].tolist() == [20000, 20100] and "Carico" in notes[-1]


def test_several_columns_that_may_each_hold_the_demand_are_named_in_the_question():
    with pytest.raises(ValueError, match="name the value column: Market Demand, Ontario Demand may each hold the "
                                         "demand \\(the file's columns are Date, Hour, Market Demand, Ontario Demand\\)"):
        read_series_upload(b"Date,Hour,Market Demand,Ontario Demand\n2024-01-01,1,5,4\n2024-01-01,2,5,4\n")
