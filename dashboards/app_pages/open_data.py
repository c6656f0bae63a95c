"""Open data: every file of the current release with its size, the data guidance, how to
query the files with DuckDB, and the open data API (``emis api``, docs/api.md)."""

import os

import streamlit as st

from dashboards import data, views
from dashboards.ui import release, t

current = release()
path = str(current.path)

st.title(t("open_data.title"))
st.markdown(t("open_data.intro", release=current.release_id))

files = data.open_files(path)
for row in files.itertuples():
    name, size = st.columns([4, 1])
    name.download_button(
        row.file,
        lambda file=row.file: data.read_bytes(data.open_file(current, file)),
        row.file.rsplit("/", 1)[-1],
        key=f"open_data_{row.file}",
        on_click="ignore",
        type="tertiary",
        icon=":material/download:",
    )
    size.write(views.file_size(row.bytes))

st.subheader(t("open_data.query"))
st.code(views.duckdb_example(current.open_dir), language="python")
st.code(views.duckdb_cli_example(), language="sql")

api = os.environ.get("EMIS_API_URL", "http://127.0.0.1:8000").rstrip("/")
st.subheader(t("open_data.api"))
st.markdown(
    t("open_data.api_intro", openapi=f"{api}/api/v1/openapi.json", docs=f"{api}/api/v1/docs")
)
st.code(views.api_curl_example(api), language="bash")
st.code(views.api_python_example(api), language="python")

guidance = data.data_guidance(path)
if guidance:
    st.subheader(t("open_data.guidance"))
    st.markdown(views.demote_headings(guidance))
