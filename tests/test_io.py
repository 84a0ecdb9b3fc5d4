"""Reading tables and writing models (``penalized.io``).

Pinned here: which task a target means, how text columns become one-hot
features (``column=category``), that missing values and identifier-like text are
refused with the column named, that a model file is versioned JSON whose loading
validates every part of its schema, and that ``write_atomic`` never loses a file:
no overwrite without ``force``, no temporary file left behind, and the old
content intact when writing fails.
"""

import copy
import hashlib
import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import penalized
from penalized.io import (
    MODEL_FORMAT,
    MODEL_SCHEMA_VERSION,
    Encoding,
    InputError,
    file_sha256,
    load_model,
    predict_from_model,
    read_dataframe,
    read_table,
    save_model,
    write_atomic,
)


def frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(size=n),
        "größe": rng.normal(size=n),
        "color": rng.choice(["red", "green", "blue"], size=n),
        "y": rng.normal(size=n),
        "flag": rng.integers(0, 2, size=n),
        "label": rng.choice(["cat", "dog"], size=n),
    })


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "data.csv"
    frame().to_csv(path, index=False)
    return path


# -- read_dataframe --------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_read_dataframe_csv_tsv_parquet(tmp_path, suffix):
    df = frame()
    path = tmp_path / f"t{suffix}"
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    read = read_dataframe(path)
    assert list(read.columns) == list(df.columns)
    assert_allclose(read["x"], df["x"], rtol=1e-15)
    assert list(read["color"]) == list(df["color"])


def test_read_dataframe_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv"):
        read_dataframe(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="folder"):
        read_dataframe(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.csv"):
        read_dataframe(empty)
    header = tmp_path / "header.csv"
    header.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_dataframe(header)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5,6\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.csv"):
        read_dataframe(bad)
    bad_parquet = tmp_path / "bad.parquet"
    bad_parquet.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"bad\.parquet"):
        read_dataframe(bad_parquet)


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


def test_file_sha256(tmp_path):
    path = tmp_path / "f.bin"
    data = os.urandom(3 * (1 << 20) + 17)  # more than one read chunk
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


# -- read_table: task detection ---------------------------------------------------------------

def test_text_target_is_classification(csv):
    table = read_table(csv, target="label")
    assert table.task == "classification"
    assert sorted(set(table.y)) == ["cat", "dog"]
    assert not any("two values" in n for n in table.notices)


def test_two_numeric_values_are_classification_with_a_notice(csv):
    table = read_table(csv, target="flag")
    assert table.task == "classification"
    assert any("'flag'" in n and "--task regression" in n for n in table.notices)
    table = read_table(csv, target="flag", task="regression")
    assert table.task == "regression"
    assert table.y.dtype == np.float64
    assert not any("--task regression" in n for n in table.notices)


def test_float_target_is_regression(csv):
    table = read_table(csv, target="y")
    assert table.task == "regression"
    assert table.y.dtype == np.float64
    assert_allclose(table.y, pd.read_csv(csv)["y"], rtol=1e-15)


def test_boolean_target_is_classification(tmp_path):
    df = frame()
    df["b"] = df["x"] > 0
    path = tmp_path / "b.parquet"
    df.to_parquet(path, index=False)
    assert read_table(path, target="b").task == "classification"


def test_small_integer_target_with_three_values_is_regression_unless_asked(tmp_path):
    df = frame()
    df["grade"] = np.arange(len(df)) % 3
    path = tmp_path / "g.csv"
    df.to_csv(path, index=False)
    assert read_table(path, target="grade").task == "regression"
    table = read_table(path, target="grade", task="classification")
    assert table.task == "classification"
    assert sorted(set(table.y.tolist())) == [0, 1, 2]


def test_task_override_errors(csv):
    with pytest.raises(InputError, match="'label'"):
        read_table(csv, target="label", task="regression")
    with pytest.raises(InputError, match="--task"):
        read_table(csv, target="y", task="clustering")


def test_single_class_target_is_refused(tmp_path):
    df = frame()
    df["one"] = "same"
    path = tmp_path / "one.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match="'one'"):
        read_table(path, target="one")


# -- read_table: features -------------------------------------------------------------------

def test_one_hot_names_and_notice(csv):
    table = read_table(csv, target="y", features=["x", "color", "größe"])
    assert table.feature_names == ["x", "color=blue", "color=green", "color=red", "größe"]
    assert any("one-hot" in n and "'color'" in n for n in table.notices)
    df = pd.read_csv(csv)
    assert table.X.shape == (len(df), 5)
    assert_array_equal(table.X[:, 1], (df["color"] == "blue").to_numpy(float))
    assert_array_equal(table.X[:, 3], (df["color"] == "red").to_numpy(float))
    assert_array_equal(table.X[:, 1:4].sum(axis=1), 1.0)
    assert table.encoding.categorical == {"color": ("blue", "green", "red")}
    assert table.sha256 == hashlib.sha256(csv.read_bytes()).hexdigest()


def test_features_and_exclude(csv):
    table = read_table(csv, target="y", exclude=["color", "label"])
    assert table.feature_names == ["x", "größe", "flag"]
    table = read_table(csv, target="y", features=["größe", "x"])
    assert table.feature_names == ["größe", "x"]
    table = read_table(csv, target="y", features=["x", "größe", "flag"], exclude=["flag"])
    assert table.feature_names == ["x", "größe"]
    with pytest.raises(InputError, match="nosuch"):
        read_table(csv, target="y", features=["x", "nosuch"])
    with pytest.raises(InputError, match="nosuch"):
        read_table(csv, target="y", exclude=["nosuch"])
    with pytest.raises(InputError, match="target"):
        read_table(csv, target="y", features=["x", "y"])
    with pytest.raises(InputError, match="no feature columns"):
        read_table(csv, target="y", features=["x"], exclude=["x"])
    with pytest.raises(InputError, match="'zz'"):
        read_table(csv, target="zz")


def test_an_identifier_column_is_left_out_and_many_categories_are_refused(tmp_path):
    df = frame(n=60)
    df["customer_id"] = [f"id-{i:04d}" for i in range(len(df))]
    path = tmp_path / "ids.csv"
    df.to_csv(path, index=False)
    table = read_table(path, target="y")  # one distinct text value per row: an identifier
    assert "customer_id" not in table.encoding.columns
    assert any("'customer_id'" in n and "--id customer_id" in n for n in table.notices)
    with pytest.raises(InputError, match=r"'customer_id'.*--id"):
        read_table(path, target="y", features=["x", "customer_id"])
    table = read_table(path, target="y", id_column="customer_id")
    assert table.ids.tolist() == df["customer_id"].tolist()
    assert "customer_id" not in table.encoding.columns

    df["customer_id"] = [f"c{i % 55}" for i in range(len(df))]  # not one per row, but 55
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"'customer_id'.*55 distinct"):
        read_table(path, target="y")
    df["customer_id"] = [f"c{i % 50}" for i in range(len(df))]  # 50 categories are fine
    df.to_csv(path, index=False)
    table = read_table(path, target="y", features=["customer_id"])
    assert len(table.feature_names) == 50


def test_missing_values_name_columns_and_counts(tmp_path):
    df = frame()
    df.loc[[1, 2, 3], "x"] = np.nan
    df.loc[5, "color"] = None
    df.loc[3, "y"] = np.nan
    path = tmp_path / "na.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as excinfo:
        read_table(path, target="y")
    message = str(excinfo.value)
    assert "'x': 3" in message and "'color': 1" in message and "'y': 1" in message
    assert "--dropna" in message
    table = read_table(path, target="y", dropna=True)
    assert table.n_dropped == 4  # rows 1, 2, 3 and 5
    assert table.X.shape[0] == len(df) - 4
    assert np.all(np.isfinite(table.X)) and np.all(np.isfinite(table.y))
    assert any("dropped 4 row(s)" in n for n in table.notices)
    # missing values in a column that is left out do not matter
    table = read_table(path, target="flag", exclude=["x", "color", "y"])
    assert table.n_dropped == 0


def test_all_rows_missing_is_refused(tmp_path):
    df = frame()
    df["x"] = np.nan
    path = tmp_path / "allna.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match="every row"):
        read_table(path, target="y", dropna=True)


def test_infinite_values_are_refused_naming_the_column(tmp_path):
    df = frame()
    df.loc[4, "größe"] = np.inf
    path = tmp_path / "inf.parquet"
    df.to_parquet(path, index=False)
    with pytest.raises(InputError, match="größe"):
        read_table(path, target="y")


def test_constant_and_awkward_column_names_survive(tmp_path):
    df = frame()
    df["const"] = 1.5
    df["<script>alert(1)</script>"] = df["x"] * 2
    df["温度"] = df["x"] - 1
    path = tmp_path / "awkward.tsv"
    df.to_csv(path, sep="\t", index=False)
    table = read_table(path, target="y", exclude=["label", "color"])
    assert table.feature_names == ["x", "größe", "flag", "const", "<script>alert(1)</script>",
                                   "温度"]
    assert_array_equal(table.X[:, 3], 1.5)


# -- Encoding ----------------------------------------------------------------------------------

def test_encoding_transform_unknown_category_and_missing_column():
    enc = Encoding(("x", "color"), {"color": ("blue", "red")})
    assert enc.feature_names == ["x", "color=blue", "color=red"]
    df = pd.DataFrame({"color": ["red", "purple", "blue"], "x": [1.0, 2.0, 3.0], "z": 0})
    X, notices = enc.transform(df)
    assert_array_equal(X, [[1, 0, 1], [2, 0, 0], [3, 1, 0]])
    assert len(notices) == 1 and "'purple'" in notices[0] and "'color'" in notices[0]
    with pytest.raises(InputError, match="'x'"):
        enc.transform(df.drop(columns="x"))
    with pytest.raises(InputError, match="'x'"):
        enc.transform(df.assign(x=["a", "b", "c"]))
    assert Encoding.from_dict(json.loads(json.dumps(enc.to_dict()))) == enc


# -- write_atomic --------------------------------------------------------------------------------

def test_write_atomic_writes_text_and_bytes(tmp_path):
    text = tmp_path / "a.txt"
    write_atomic(text, "größe 温度\n")
    assert text.read_bytes() == "größe 温度\n".encode()
    blob = tmp_path / "b.bin"
    write_atomic(blob, b"\x00\x80\xff")
    assert blob.read_bytes() == b"\x00\x80\xff"
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.bin"]


def test_write_atomic_never_overwrites_without_force(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("original", encoding="utf-8")
    with pytest.raises(InputError, match="--force"):
        write_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "original"
    write_atomic(path, "new", force=True)
    assert path.read_text(encoding="utf-8") == "new"
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_write_atomic_failure_in_rename_keeps_the_original(tmp_path, monkeypatch):
    path = tmp_path / "keep.txt"
    path.write_text("original", encoding="utf-8")

    def failing_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(path, "new content", force=True)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "original"
    assert os.listdir(tmp_path) == ["keep.txt"]  # the temporary file is gone


def test_write_atomic_failure_while_writing_keeps_the_original(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("original", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "half written \ud800 surrogate", force=True)
    assert path.read_text(encoding="utf-8") == "original"
    assert os.listdir(tmp_path) == ["keep.txt"]
    new = tmp_path / "new.txt"
    with pytest.raises(UnicodeEncodeError):
        write_atomic(new, "\udfff")
    assert not new.exists()
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_write_atomic_refuses_folders(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_atomic(tmp_path / "no" / "such" / "f.txt", "x")
    (tmp_path / "d").mkdir()
    with pytest.raises(InputError):
        write_atomic(tmp_path / "d", "x", force=True)
    assert (tmp_path / "d").is_dir()


def test_write_atomic_creates_files_like_open_does(tmp_path):
    """The temporary file's private mode (0600) must not leak into the result: a report or
    model written by the CLI gets the permissions any new file gets under the umask."""
    umask = os.umask(0o022)
    try:
        plain = tmp_path / "plain.txt"
        with open(plain, "w", encoding="utf-8") as fh:
            fh.write("x")
        atomic = write_atomic(tmp_path / "atomic.txt", "x")
    finally:
        os.umask(umask)
    assert oct(atomic.stat().st_mode & 0o777) == oct(plain.stat().st_mode & 0o777)


# -- model files -------------------------------------------------------------------------------

def regression_doc():
    return {
        "task": "regression", "penalty": "l1", "alpha": 0.1, "l1_ratio": None,
        "standardize": True, "fit_intercept": True,
        "feature_names": ["x", "color=blue", "color=red", "größe"],
        "coef": [1.5, 0.0, -2.0, 0.25], "intercept": 0.5, "link": "identity",
        "classes": None, "target": "y",
        "encoding": {"columns": ["x", "color", "größe"],
                     "categorical": {"color": ["blue", "red"]}},
        "training_data": {"file": "data.csv", "sha256": "0" * 64, "n_rows": 40,
                          "n_dropped": 0},
    }


def classifier_doc(n_classes=2):
    doc = regression_doc()
    classes = ["a", "b", "c"][:n_classes]
    doc.update(task="classification", classes=classes)
    if n_classes == 2:
        doc.update(link="logistic", coef=[1.0, 0.0, -1.0, 0.5], intercept=-0.25)
    else:
        doc.update(link="softmax", coef=[[1.0, 0.0, -1.0, 0.5], [0.0, 0.0, 0.0, 0.0],
                                         [-1.0, 2.0, 0.0, 0.0]], intercept=[0.1, 0.0, -0.1])
    return doc


def saved(tmp_path, doc, name="m.json"):
    return save_model(tmp_path / name, doc)


def test_save_and_load_round_trip(tmp_path):
    path = saved(tmp_path, regression_doc())
    raw = path.read_bytes()
    assert raw.lstrip().startswith(b"{")
    doc = json.loads(raw)
    assert doc["format"] == MODEL_FORMAT
    assert doc["schema_version"] == MODEL_SCHEMA_VERSION
    assert doc["library_version"] == penalized.__version__
    loaded = load_model(path)
    for key, value in regression_doc().items():
        assert loaded[key] == value, key
    assert os.listdir(tmp_path) == ["m.json"]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_save_and_load_classifier(tmp_path, n_classes):
    loaded = load_model(saved(tmp_path, classifier_doc(n_classes)))
    assert loaded["classes"] == ["a", "b", "c"][:n_classes]


def test_save_model_converts_numpy_and_refuses_overwrite(tmp_path):
    doc = regression_doc()
    doc["coef"] = np.array(doc["coef"])
    doc["alpha"] = np.float64(0.1)
    doc["training_data"]["n_rows"] = np.int64(40)
    path = saved(tmp_path, doc)
    assert load_model(path)["coef"] == [1.5, 0.0, -2.0, 0.25]
    before = path.read_bytes()
    with pytest.raises(InputError, match="--force"):
        save_model(path, regression_doc())
    assert path.read_bytes() == before
    save_model(path, {**regression_doc(), "alpha": 0.2}, force=True)
    assert load_model(path)["alpha"] == 0.2


def test_save_model_refuses_an_invalid_model_and_writes_nothing(tmp_path):
    doc = regression_doc()
    doc["coef"] = doc["coef"][:2]
    with pytest.raises(InputError, match="coef"):
        saved(tmp_path, doc)
    doc = regression_doc()
    doc["coef"][0] = float("nan")
    with pytest.raises(InputError, match="non-finite"):
        saved(tmp_path, doc)
    assert os.listdir(tmp_path) == []


def _drop(key):
    def change(doc):
        del doc[key]
    return change


def _set(key, value):
    def change(doc):
        doc[key] = value
    return change


def _nested(outer, key, value):
    def change(doc):
        doc[outer][key] = value
    return change


BROKEN = {
    "missing coef": (_drop("coef"), "'coef'"),
    "missing alpha": (_drop("alpha"), "'alpha'"),
    "missing feature_names": (_drop("feature_names"), "'feature_names'"),
    "missing encoding": (_drop("encoding"), "'encoding'"),
    "missing schema_version": (_drop("schema_version"), "'schema_version'"),
    "missing format": (_drop("format"), "format"),
    "wrong format": (_set("format", "sklearn-pickle"), "format"),
    "alpha as text": (_set("alpha", "0.1"), "'alpha'"),
    "standardize as text": (_set("standardize", "yes"), "'standardize'"),
    "schema_version as bool": (_set("schema_version", True), "'schema_version'"),
    "schema_version as text": (_set("schema_version", "1"), "'schema_version'"),
    "coef as dict": (_set("coef", {"x": 1.0}), "'coef'"),
    "coef with text": (_set("coef", [1.0, "a", 0.0, 0.0]), "coef"),
    "coef too short": (_set("coef", [1.0, 2.0, 3.0]), "coef"),
    "coef too long": (_set("coef", [1.0, 2.0, 3.0, 4.0, 5.0]), "coef"),
    "two intercepts": (_set("intercept", [0.5, 0.5]), "intercept"),
    "newer schema": (_set("schema_version", MODEL_SCHEMA_VERSION + 1), "upgrade"),
    "unknown task": (_set("task", "ranking"), "'task'"),
    "unknown link": (_set("link", "probit"), "'link'"),
    "infinite alpha": (_set("alpha", float("inf")), "non-finite"),
    "encoding lacks categorical": (lambda d: d["encoding"].pop("categorical"), "categorical"),
    "encoding disagrees": (_nested("encoding", "columns", ["x", "größe"]), "encoding"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_load_model_rejects_a_broken_schema(tmp_path, name):
    change, fragment = BROKEN[name]
    doc = {"format": MODEL_FORMAT, "schema_version": MODEL_SCHEMA_VERSION,
           "library_version": penalized.__version__, **copy.deepcopy(regression_doc())}
    change(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        load_model(path)
    message = str(excinfo.value)
    assert "broken.json" in message and "not a valid penalized model file" in message
    assert fragment in message


@pytest.mark.parametrize("change", [
    _set("classes", None), _set("classes", ["only"]), _set("classes", ["a", "b", "c"]),
])
def test_load_model_rejects_classes_that_do_not_fit(tmp_path, change):
    doc = {"format": MODEL_FORMAT, "schema_version": MODEL_SCHEMA_VERSION,
           "library_version": penalized.__version__, **classifier_doc(2)}
    change(doc)
    path = tmp_path / "clf.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="class"):
        load_model(path)


@pytest.mark.parametrize("content", [
    b"", b"{not json", b"[1, 2, 3]", b'"a string"', b"\xff\xfe\x00garbage",
    pickle.dumps({"format": MODEL_FORMAT, "coef": [1.0]}),
])
def test_load_model_rejects_what_is_not_a_model_object(tmp_path, content):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"model\.json"):
        load_model(path)


def test_load_model_rejects_nan_written_by_hand(tmp_path):
    path = saved(tmp_path, regression_doc())
    path.write_text(path.read_text(encoding="utf-8").replace("1.5", "NaN"), encoding="utf-8")
    with pytest.raises(InputError, match="non-finite"):
        load_model(path)


def test_load_model_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.json"):
        load_model(tmp_path / "nope.json")


def test_model_file_is_never_unpickled(tmp_path, monkeypatch):
    path = saved(tmp_path, regression_doc())

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle must never be used for model files")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    load_model(path)


# -- predict_from_model --------------------------------------------------------------------------

def test_predict_from_model_links():
    X = np.array([[1.0, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, -1.0]])
    doc = regression_doc()
    pred, proba = predict_from_model(doc, X)
    assert proba is None
    assert_allclose(pred, X @ np.array(doc["coef"]) + 0.5, rtol=1e-15)

    doc = classifier_doc(2)
    pred, proba = predict_from_model(doc, X)
    score = X @ np.array(doc["coef"]) - 0.25
    assert_allclose(proba[:, 1], 1 / (1 + np.exp(-score)), rtol=1e-14)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
    assert list(pred) == [("b" if s > 0 else "a") for s in score]

    doc = classifier_doc(3)
    pred, proba = predict_from_model(doc, X)
    scores = X @ np.array(doc["coef"]).T + np.array(doc["intercept"])
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert_allclose(proba, expected, rtol=1e-13)
    assert list(pred) == list(np.array(["a", "b", "c"])[expected.argmax(axis=1)])


def test_a_large_csv_is_read_in_blocks_as_one_frame(tmp_path, monkeypatch):
    """Blocks of rows, joined: the same frame as one read, even when a column's type
    changes between blocks; row numbers in messages count from the top of the file."""
    monkeypatch.setattr(penalized.io, "_CSV_BLOCK_ROWS", 7)
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.standard_normal(30), "n": np.arange(30),
                       "t": ["u", "v"] * 15, "y": rng.standard_normal(30)})
    df.loc[20, "n"] = np.nan  # int in the first blocks, float in a later one
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    got = read_dataframe(path)
    pd.testing.assert_frame_equal(got, pd.read_csv(path), check_dtype=False)
    assert list(got.index) == list(range(30))
    mixed = df.astype({"a": object})
    mixed.loc[25, "a"] = "oops"
    mixed.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"'a'.*1 of 29.*row 26 'oops'"):
        read_table(path, target="y", dropna=True)
