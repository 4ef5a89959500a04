"""The static kinds table (what the inbox and the screens read) and the flow registry (what the engine
runs) name the same job kinds."""

from sync.flows import registry
from sync.kinds import KINDS, TOPIC_KINDS, flow_groups, kind_for_topic, subscription_topics, topic_enum


def test_every_kind_in_the_table_has_a_flow_and_every_flow_a_kind():
    assert set(registry.FLOWS) == set(KINDS)


#: Mandatory privacy topics: configured in the app's TOML on a real shop, not subscribed through the API.
COMPLIANCE_TOPICS = {"customers/redact", "customers/data_request", "shop/redact"}


def test_each_topic_maps_to_one_kind_and_subscriptions_are_exactly_the_handled_topics():
    assert kind_for_topic("orders/edited").kind == "order.upsert"  # type: ignore[union-attr]
    assert kind_for_topic("app/uninstalled").kind == "shop.uninstalled"  # type: ignore[union-attr]
    assert kind_for_topic("collections/update") is None  # parked as "no flow handles topic"
    assert set(subscription_topics()) == {topic_enum(t) for t in TOPIC_KINDS if t not in COMPLIANCE_TOPICS}
    assert "APP_UNINSTALLED" in subscription_topics() and "ORDERS_CREATE" in subscription_topics()
    assert not {topic_enum(t) for t in COMPLIANCE_TOPICS} & set(subscription_topics())
    assert kind_for_topic("refunds/create").kind == "refund.create"  # type: ignore[union-attr]
    assert set(TOPIC_KINDS) >= COMPLIANCE_TOPICS


def test_the_flow_groups_are_the_dashboards_rows():
    assert flow_groups() == [
        "catalogue",
        "connections",
        "customers",
        "fulfilments",
        "orders",
        "privacy",
        "refunds",
        "stock",
    ]


def test_refunds_pushed_to_shopify_are_outbound_and_run_with_the_first():
    kind = KINDS["refund.push"]
    assert (kind.flow, kind.direction, kind.priority, kind.topics) == ("refunds", "outbound", 2, ())
