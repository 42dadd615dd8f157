# mypy: disable-error-code="valid-type"
# (the routes are built per kind in a loop: a body's or key's annotation is the kind's
# class or Annotated type held in a variable, which FastAPI reads at run time and mypy
# cannot take as a type)
"""Master data: items, warehouses, customers, suppliers, supplier-item terms, reorder rules,
carriers and accounts — list, get, create, patch. Every change is audited by the service layer.

(No `from __future__ import annotations`: routes are built in a loop.)
"""

from typing import Annotated, Any

from fastapi import Path, Query

from transactional.api import schemas as s
from transactional.api.deps import Allowed, service_router
from transactional.services import create_master, update_master
from transactional.services.base import Context
from transactional.services.queries import get_master, list_master

# kind -> (path, input, output, extra list filters: name -> type)
MASTER: dict[str, tuple[str, type[s.Input], type[s.Output], dict[str, Any]]] = {
    "item": ("items", s.ItemIn, s.ItemOut, {"category": str, "supply_mode": str}),
    "warehouse": ("warehouses", s.WarehouseIn, s.WarehouseOut, {}),
    "customer": ("customers", s.CustomerIn, s.CustomerOut, {}),
    "supplier": ("suppliers", s.SupplierIn, s.SupplierOut, {}),
    "supplier_item": (
        "supplier-items",
        s.SupplierItemIn,
        s.SupplierItemOut,
        {"supplier_id": int, "item_id": int},
    ),
    "reorder_rule": (
        "reorder-rules",
        s.ReorderRuleIn,
        s.ReorderRuleOut,
        {"item_id": int, "warehouse_id": int},
    ),
    "carrier": ("carriers", s.CarrierIn, s.CarrierOut, {}),
    "account": ("accounts", s.AccountIn, s.AccountOut, {}),
}

FILTERS = ("category", "supply_mode", "supplier_id", "item_id", "warehouse_id")

router = service_router()


def _add_master_routes(
    kind: str, path: str, model: type[s.Input], out: type[s.Output], filters: dict[str, Any]
) -> None:
    patch = s.patch_model(model)
    tag = path.replace("-", " ").title()
    label = kind.replace("_", " ")
    key_type = (
        Annotated[str, Path(max_length=10, pattern=s.NO_NUL)]
        if kind == "account"
        else Annotated[int, Path(ge=1, le=s.MAX_ID)]
    )
    category = Annotated[str | None, Query(max_length=80, pattern=s.NO_NUL)]
    ref = Annotated[int | None, Query(ge=1, le=s.MAX_ID)]
    mode = Annotated[s.SupplyMode | None, Query()]

    def create(body: model, *, ctx: Annotated[Context, Allowed(kind, "create")]):
        return create_master(ctx, kind, body)  # the body is the kind's command

    def update(key: key_type, body: patch, *, ctx: Annotated[Context, Allowed(kind, "update")]):
        return update_master(ctx, kind, key, body)

    def get(key: key_type, *, ctx: Annotated[Context, Allowed(kind, "read")]):
        return get_master(ctx, kind, key)

    def list_(
        *,
        ctx: Annotated[Context, Allowed(kind, "read")],
        active: bool | None = None,
        cursor: Annotated[str | None, Query(max_length=40, pattern=s.NO_NUL)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        category: category = None,
        supply_mode: mode = None,
        supplier_id: ref = None,
        item_id: ref = None,
        warehouse_id: ref = None,
    ):
        chosen = {
            "category": category,
            "supply_mode": supply_mode,
            "supplier_id": supplier_id,
            "item_id": item_id,
            "warehouse_id": warehouse_id,
        }
        return list_master(
            ctx,
            kind,
            active=active,
            cursor=cursor,
            limit=limit,
            filters={k: chosen[k] for k in filters},
        )

    # only the filters this kind has appear in its signature (and so in /docs)
    list_.__signature__ = _without(list_, set(FILTERS) - set(filters))  # type: ignore[attr-defined]  # FastAPI reads it
    base, one = f"/{path}", f"/{path}/{{key}}"
    router.add_api_route(
        base,
        list_,
        methods=["GET"],
        response_model=s.Page[out],
        tags=[tag],
        summary=f"List {label}s",
        operation_id=f"list_{kind}",
    )
    router.add_api_route(
        base,
        create,
        methods=["POST"],
        response_model=out,
        status_code=201,
        tags=[tag],
        summary=f"Create a {label}",
        operation_id=f"create_{kind}",
    )
    router.add_api_route(
        one,
        get,
        methods=["GET"],
        response_model=out,
        tags=[tag],
        summary=f"Get a {label}",
        operation_id=f"get_{kind}",
    )
    router.add_api_route(
        one,
        update,
        methods=["PATCH"],
        response_model=out,
        tags=[tag],
        summary=f"Change a {label}",
        operation_id=f"update_{kind}",
    )


def _without(fn, names: set[str]):
    import inspect

    sig = inspect.signature(fn)
    return sig.replace(parameters=[p for p in sig.parameters.values() if p.name not in names])


for _kind, (_path, _model, _out, _filters) in MASTER.items():
    _add_master_routes(_kind, _path, _model, _out, _filters)
