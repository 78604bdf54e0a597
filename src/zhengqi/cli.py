"""The ``zhengqi`` command: Zhengqi's own commands and Django's, behind one entry point."""

from __future__ import annotations

import os
import sys

OVERVIEW = """\
zhengqi — 政企客户营销管理 (Zhengqi: group-customer marketing management)

常用命令 Common commands:
  zhengqi migrate                        建立/升级数据库 (create or upgrade the database)
  zhengqi demo [--size tiny|demo|province] [--seed N] [--replace]
                                         生成演示省份 (generate the demo province)
  zhengqi run-month 2026-10 [--engine duckdb|spark]
                                         月度运行：特征、价值评分与分级、规则预警 (the month run)
  zhengqi import KIND FILE [--dry-run] [--report out.xlsx]
                                         导入客户、客户月度、成员月度数据 (import customers, facts)
  zhengqi model evaluate --table F.csv --label COLUMN [--id C] [--time C]
                                         在任意带标签的表上评估流失模型 (evaluate the churn model)
  zhengqi scheduler [--once]             内置定时调度：上报、督办、邮件、摘要、简报、结算、月度运行 (the scheduler)
  zhengqi escalate-tasks                 逾期任务上报区域经理（调度每日运行）(escalate overdue tasks)
  zhengqi settle 2026-10                 代理商月度结算 (partners' monthly statements)
  zhengqi runserver 127.0.0.1:8000       启动网页与 API (serve pages and the REST API)
  zhengqi db_worker                      后台任务进程：页面发起的月度运行 (background worker)
  zhengqi createsuperuser                新建管理员 (create an administrator)

每个命令的帮助 Help for one command:  zhengqi help COMMAND
全部命令 Every command (Django's too):  zhengqi help --commands
配置 Settings: DJANGO_SETTINGS_MODULE (默认 config.settings.base), DATABASE_URL, ZHENGQI_LAKE
"""

# Commands spelled the way users type them; Django's module names cannot hold a hyphen.
ALIASES = {"run-month": "run_month", "escalate-tasks": "escalate_tasks", "import": "import_data"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stdout.write(OVERVIEW)
        return
    from django.core.management import execute_from_command_line

    argv[0] = "zhengqi"
    argv[1] = ALIASES.get(argv[1], argv[1])
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
