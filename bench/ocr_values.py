"""What the synthetic documents print: random but valid names, codes, ID numbers, addresses.

A credit code and a resident ID number carry correct check characters (python-stdnum), so
bot/ocr/fields.py's validators accept them; bench/ocr_images.py draws and photographs them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from stdnum.cn import ric, uscc

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力俊鹏飞宇浩然思佳"
    "欣怡子涵梓轩雨婷晓东海波志国庆春梅丹凤云龙"
)
CITIES = (
    ("浙江省", "杭州市", "西湖区", "330106"),
    ("北京市", "北京市", "海淀区", "110108"),
    ("上海市", "上海市", "浦东新区", "310115"),
    ("广东省", "深圳市", "南山区", "440305"),
    ("江苏省", "南京市", "鼓楼区", "320106"),
    ("四川省", "成都市", "武侯区", "510107"),
    ("湖北省", "武汉市", "洪山区", "420111"),
    ("福建省", "福州市", "鼓楼区", "350102"),
    ("山东省", "济南市", "历下区", "370102"),
    ("陕西省", "西安市", "雁塔区", "610113"),
)
STREETS = "文三人民解放中山建设和平新华长江黄河东风胜利学院青年光明幸福"
SHOP_WORDS = "便利鲜果面馆茶饮烘焙五金服饰文具花艺药房书店烧烤眼镜家电"
SHOP_KIND = ("便利店", "水果店", "面馆", "茶饮店", "烘焙坊", "五金店", "服装店", "文具店")
COMPANY_KIND = ("有限公司", "商贸有限公司", "科技有限公司", "餐饮管理有限公司")


def person_name(rng: random.Random) -> str:
    """A two- or three-character Chinese name."""
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


def credit_code(rng: random.Random, region: str) -> str:
    """A valid unified social credit code (GB 32100-2015) for a company or an individual."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    head = rng.choice(("91", "92", "93")) + region
    body = head + "".join(rng.choices(alphabet, k=9))
    number = body + uscc.calc_check_digit(body)
    assert uscc.is_valid(number)
    return number


def resident_id(rng: random.Random, region: str) -> str:
    """A valid resident ID number of an adult born 1955-2000."""
    birth = date(1955, 1, 1) + timedelta(days=rng.randrange(45 * 365))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    # stdnum's calc_check_digit ignores the last character it is given
    number = body + ric.calc_check_digit(body + "0")
    assert ric.calc_check_digit(number) == number[-1]
    return number


def address(rng: random.Random, city: tuple[str, str, str, str]) -> str:
    """A street address in the city."""
    province, town, district, _ = city
    road = "".join(rng.sample(STREETS, 2)) + rng.choice(("路", "街", "大道"))
    number = f"{rng.randrange(1, 999)}号"
    extra = rng.choice(("", "", f"{rng.randrange(1, 30)}幢{rng.randrange(101, 1999)}室"))
    lead = province if province == town else province + town
    return f"{lead}{district}{road}{number}{extra}"


def licence_truth(rng: random.Random) -> dict[str, str]:
    """What a licence prints: an individual business or a company, in one of the cities."""
    city = rng.choice(CITIES)
    individual = rng.random() < 0.5
    owner = person_name(rng)
    brand = "".join(rng.sample(SHOP_WORDS, 2))
    if individual:
        place = city[1].removesuffix("市") + city[2].removesuffix("区")
        name = f"{place}{owner[1:]}{rng.choice(SHOP_KIND)}"
        kind = "个体工商户"
    else:
        name = f"{city[1].removesuffix('市')}{brand}{rng.choice(COMPANY_KIND)}"
        kind = rng.choice(("有限责任公司(自然人投资或控股)", "有限责任公司(自然人独资)"))
    code = credit_code(rng, city[3])
    if individual:
        code = "92" + code[2:-1]
        code += uscc.calc_check_digit(code)
    return {
        "credit_code": code,
        "merchant_name": name,
        "licence_type": kind,
        "legal_rep_name": owner,
        "address": address(rng, city),
    }


def id_front_truth(rng: random.Random) -> dict[str, str]:
    """What an ID card's portrait side prints: name, number, address."""
    city = rng.choice(CITIES)
    number = resident_id(rng, city[3])
    return {"name": person_name(rng), "id_number": number, "address": address(rng, city)}


def id_back_truth(rng: random.Random) -> dict[str, str]:
    """What an ID card's emblem side prints: issuer and validity period (10, 20 years or 长期)."""
    city = rng.choice(CITIES)
    start = date(2010, 1, 1) + timedelta(days=rng.randrange(14 * 365))
    years = rng.choice((10, 20, 0))
    end = "长期" if years == 0 else f"{start.year + years}.{start:%m.%d}"
    return {
        "issuer": f"{city[1]}公安局{city[2]}分局",
        "valid_from": f"{start:%Y.%m.%d}",
        "valid_until": end,
    }
