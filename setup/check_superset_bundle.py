"""Import the finance Superset bundle into a real Superset and check what it became.

Not part of the test suite (Superset is not a workbench dependency). Run it in a throwaway
virtualenv with Superset installed and a configured metadata database, e.g.:

    python3 -m venv /tmp/ss-venv && /tmp/ss-venv/bin/pip install apache-superset
    export SUPERSET_CONFIG_PATH=/tmp/ss/superset_config.py   # SECRET_KEY, SQLALCHEMY_DATABASE_URI
    superset db upgrade && superset fab create-admin ... && superset init
    python -m ipwb.finance.superset_bundle --zip /tmp/ss/bir_finance.zip
    python -m ipwb.finance.superset_bundle --zip /tmp/ss/bir_finance_assets.zip --assets
    /tmp/ss-venv/bin/python setup/check_superset_bundle.py dashboard /tmp/ss/bir_finance.zip
    /tmp/ss-venv/bin/python setup/check_superset_bundle.py assets /tmp/ss/bir_finance_assets.zip  # overwrite

It asserts that every chart's query context and params point at its imported dataset, that the
native filters target imported datasets and charts, and prints the counts (a re-import must not
duplicate anything).
"""

import json
import sys
import zipfile


def _contents(path):
    # Superset's own CLI strips the zip's top folder the same way
    with zipfile.ZipFile(path) as archive:
        return {name.split("/", 1)[1]: archive.read(name).decode() for name in archive.namelist()}


def main(mode, path):
    from superset.app import create_app  # noqa: PLC0415 - only in a Superset virtualenv

    app = create_app()
    with app.app_context():
        from flask import g  # noqa: PLC0415
        from superset import db, security_manager  # noqa: PLC0415
        from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand  # noqa: PLC0415
        from superset.commands.importers.v1.assets import ImportAssetsCommand  # noqa: PLC0415
        from superset.connectors.sqla.models import SqlaTable  # noqa: PLC0415
        from superset.models.dashboard import Dashboard  # noqa: PLC0415
        from superset.models.slice import Slice  # noqa: PLC0415

        g.user = security_manager.find_user(username="admin")
        # the password is only stored: nothing here connects to the warehouse
        passwords = {"databases/ipwb_warehouse.yaml": "not-used"}
        if mode == "dashboard":
            ImportDashboardsCommand(_contents(path), passwords=passwords, overwrite=True).run()
        else:
            ImportAssetsCommand(_contents(path), passwords=passwords).run()
        datasets = db.session.query(SqlaTable).all()
        ids = {t.id for t in datasets}
        charts = db.session.query(Slice).all()
        for chart in charts:
            context = json.loads(chart.query_context)
            assert context["datasource"]["id"] == chart.datasource_id, chart.slice_name
            assert chart.datasource_id in ids, chart.slice_name
            assert json.loads(chart.params)["datasource"] == f"{chart.datasource_id}__table"
        (dashboard,) = db.session.query(Dashboard).all()
        filters = json.loads(dashboard.json_metadata)["native_filter_configuration"]
        for native in filters:
            assert all(t["datasetId"] in ids for t in native["targets"]), native["name"]
            assert set(native["scope"]["excluded"]) <= {c.id for c in charts}, native["name"]
        excluded = {f["name"]: len(f["scope"]["excluded"]) for f in filters}
        print(mode, "datasets", len(datasets), "charts", len(charts), "dashboards 1", "filters", excluded)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
