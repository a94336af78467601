def test_lang(db, client):
    r = client.get("/api/claims/", {"verdict": "x"}, HTTP_ACCEPT_LANGUAGE="de")
    print("\nAPI", r.json(), r.headers.get("Content-Language"))
    r = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    print("HTML", r.status_code, r.headers.get("Content-Language"), r.get("Location"))
