import pytest


@pytest.fixture
def no_demo_channel(db: None) -> None:
    """Crafted partners and rules only: the tiny province's demo partners, rules and statements go
    (inside the test's transaction)."""
    from zhengqi.partners import demo

    demo.wipe()
