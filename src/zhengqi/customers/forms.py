"""The customer list's filter form: validates the query string before it reaches a selector."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.access import customer_scope, regions_visible_to
from zhengqi.accounts.models import Region, User

from .models import INDUSTRIES, Customer
from .selectors import SORTS, CustomerFilter

ANY = [("", _("全部"))]


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("客户名称 / 统一社会信用代码 / 客户编码")}),
    )
    region = forms.ChoiceField(label=_("区域"), required=False)
    tier = forms.ChoiceField(label=_("价值等级"), required=False, choices=ANY + list(Customer.Tier.choices))
    industry = forms.ChoiceField(label=_("行业"), required=False, choices=ANY + INDUSTRIES)
    customer_type = forms.ChoiceField(label=_("客户类型"), required=False, choices=ANY + list(Customer.Type.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=ANY + list(Customer.Status.choices))
    account_manager = forms.TypedChoiceField(label=_("客户经理"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=[(k, k) for k in SORTS])

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows
        regions = Region.objects.filter(regions_visible_to(user)).order_by("path")
        self.fields["region"].choices = ANY + [  # type: ignore[attr-defined]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows
            (r.code, ("　" * (r.path.count("/") - 2)) + r.name) for r in regions
        ]
        if user.role == User.Role.ACCOUNT_MANAGER:
            del self.fields["account_manager"]
            return
        # The managers of the customers in scope: a semi-join (IN), not a DISTINCT over a join,
        # which PostgreSQL cannot do quickly over tens of thousands of customers.
        owners = Customer.objects.filter(customer_scope(user), account_manager__isnull=False).values("account_manager")
        managers = User.objects.filter(role=User.Role.ACCOUNT_MANAGER, pk__in=owners).order_by("display_name")
        self.fields["account_manager"].choices = ANY + [  # type: ignore[attr-defined]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows
            (pk, name or username) for pk, name, username in managers.values_list("pk", "display_name", "username")
        ]

    def to_filter(self) -> CustomerFilter:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return CustomerFilter(**data)
