def test_register_then_me(api):
    r = api.register("alice")
    print(r)
    assert r.status == 201
    me = api.request("GET", "/api/v1/users/@me", token=r.body["access_token"])
    print(me)
    assert me.status == 200
