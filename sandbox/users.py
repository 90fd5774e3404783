"""The one configured test user every sandbox consent page approves as.

Any bearer token works against the sandbox's APIs, so these only matter for
the OAuth round trip and target listing (what a person would pick from).
"""

from __future__ import annotations

FACEBOOK_USER = {"id": "9000001", "name": "Sandbox Strategist"}
FACEBOOK_PAGES = [
    {"id": "1000001", "name": "Maple Street Family Practice", "category": "Medical Center"},
    {"id": "1000002", "name": "Harbor Dental Care", "category": "Dentist & Dental Office"},
]
INSTAGRAM_USER = {"user_id": "17841400000000001", "username": "maplestreetfp", "page": "1000001"}
LINKEDIN_MEMBER = "urn:li:person:sandboxStrategist"
LINKEDIN_ORGS = [
    {
        "id": 2000001,
        "localizedName": "Maple Street Family Practice",
        "vanityName": "maple-street-fp",
    },
    {"id": 2000002, "localizedName": "Harbor Dental Care", "vanityName": "harbor-dental"},
]
X_USER = {"id": "3000001", "name": "Maple Street Family Practice", "username": "maplestreetfp"}
GOOGLE_ACCOUNTS = [
    {
        "name": "accounts/4000001",
        "accountName": "Maple Street Family Practice",
        "type": "LOCATION_GROUP",
        "locations": [
            {"name": "locations/5000001", "title": "Maple Street Family Practice - Main St"},
            {"name": "locations/5000002", "title": "Maple Street Family Practice - Riverside"},
        ],
    }
]
