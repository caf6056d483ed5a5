"""The workflow's parse-time side, which the rules call: the path map (`paths`), what a run makes (`plan.RunPlan`),
and per stage the input functions and params of its rules (`corpus`, `signal`, `timing`, `models`, `sampling`,
`render`, `evaluation`: mixins of RunPlan), kept here as plain, testable Python so that the rule files hold rules."""
