"""Schemathesis hooks for scripts/fuzz-openapi.

Stateful testing follows links it infers from response bodies; where a list holds an id
that is null for some items (a service-data row's `agent_id` for a shop row, a quick
reply's `shop_id` for an agent's own), Schemathesis 4.32.5 may pick the null and send
it as the path segment `None`, which the API rightly refuses with 400 `invalid_path`
and Schemathesis then reports as a valid request rejected. A null id names nothing:
it is sent as the nil UUID instead, which the API answers with 404 like any id that
names nothing.
"""

import schemathesis

NIL_UUID = "00000000-0000-0000-0000-000000000000"


@schemathesis.hook
def before_call(context, case, **kwargs):
    parameters = case.path_parameters or {}
    for name, value in list(parameters.items()):
        if value is None:
            parameters[name] = NIL_UUID
