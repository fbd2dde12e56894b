"""The public names of ../shared/spec/CONTRACT.md, as the tests rely on them."""

INTENTS = [
    "greet", "goodbye", "thank", "affirm", "deny", "help", "bot_challenge", "out_of_scope",
    "file_appeal", "check_appeal_status", "ask_human", "cancel", "switch_language",
    "delete_my_data",
]
FAQ_TOPICS = [
    "ombudsman_role", "appeal_how", "appeal_requirements", "appeal_deadline", "appeal_cost",
    "appeal_review", "out_of_mandate", "contacts", "free_legal_aid", "emergency",
    "domestic_violence", "child_rights", "labour_rights", "pension_benefits",
    "detention_rights", "health_care", "discrimination", "migrant_rights", "documents",
    "privacy",
]
FORM_SLOTS = [
    "consent", "full_name", "phone", "region", "category", "respondent", "incident_date",
    "description", "confirm",
]
REGIONS = [
    "bishkek", "osh_city", "batken", "chui", "jalal_abad", "issyk_kul", "naryn",
    "osh_region", "talas", "abroad",
]
CATEGORIES = [
    "labour", "social_protection", "health", "law_enforcement", "courts", "housing_land",
    "children", "discrimination", "violence", "migration", "documents", "other",
]
STATUSES = ["received", "in_review", "forwarded", "resolved", "rejected"]
