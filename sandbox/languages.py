"""The sandbox's words: phrases, hashtags, names and places in ten languages and scripts.

Kept as plain data so captions look like what the analysis meets in reality: Latin text with
diacritics, Cyrillic, Arabic (right to left), Devanagari (combining vowel signs), Japanese and
Korean without spaces between words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """Everything needed to write a caption, a bio and a name in one language."""

    code: str
    weight: float  # share of profiles whose main language this is
    phrases: tuple[str, ...]
    tags: tuple[str, ...]  # most common first: the rank drives a Zipf-like frequency
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    bios: tuple[str, ...]
    places: tuple[tuple[str, str], ...]  # (name, slug)


LANGUAGES: tuple[Language, ...] = (
    Language(
        "en",
        0.30,
        (
            "What a day at the beach",
            "Coffee first, then everything else",
            "Sunday mood",
            "Throwback to last summer",
            "New recipe tested tonight and it was a success",
            "Finally back in the studio",
            "Morning run done",
        ),
        (
            "love", "instagood", "photooftheday", "travel", "food", "nature", "happy",
            "beautiful", "fashion", "fitness", "art", "photography", "summer", "coffee",
            "sunset", "style", "music", "friends", "instadaily", "weekend",
        ),
        ("Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Mia", "Lucas"),
        ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Clark"),
        ("Coffee lover and sunset chaser", "Living my best life", "Photographer based in NYC"),
        (("Central Park", "central-park"), ("London, United Kingdom", "london-united-kingdom"),
         ("Venice Beach", "venice-beach")),
    ),
    Language(
        "de",
        0.08,
        (
            "Was für ein schöner Tag am See",
            "Endlich Wochenende",
            "Frühstück mit Aussicht",
            "Neues Rezept ausprobiert – sehr lecker",
            "Zurück in Berlin",
            "Spaziergang im Herbstwald",
        ),
        (
            "liebe", "reisen", "natur", "berlin", "essen", "sommer", "fotografie", "urlaub",
            "wandern", "kaffee", "herbst", "münchen", "glücklich", "familie", "freunde",
        ),
        ("Lena", "Jonas", "Sophie", "Lukas", "Marie", "Felix", "Anna"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Becker"),
        ("Kaffee, Berge und gute Laune", "Fotografin aus Hamburg", "Immer unterwegs"),
        (("Berlin, Germany", "berlin-germany"), ("Englischer Garten", "englischer-garten"),
         ("Zugspitze", "zugspitze")),
    ),
    Language(
        "es",
        0.10,
        (
            "Qué día tan bonito en la playa",
            "Por fin fin de semana",
            "Nueva receta, ¡salió perfecta!",
            "Recuerdos del verano pasado",
            "Café y buena compañía",
            "Atardecer en Madrid",
        ),
        (
            "amor", "viajar", "comida", "españa", "verano", "playa", "fotografía", "felicidad",
            "madrid", "naturaleza", "familia", "méxico", "café", "música", "atardecer",
        ),
        ("Lucía", "Mateo", "Sofía", "Martín", "Valentina", "Diego", "Camila"),
        ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez"),
        ("Amante del café ☕", "Viajera incansable", "Fotógrafo en Barcelona"),
        (("Madrid, Spain", "madrid-spain"), ("Playa de la Concha", "playa-de-la-concha"),
         ("Ciudad de México", "ciudad-de-mexico")),
    ),
    Language(
        "fr",
        0.08,
        (
            "Quelle belle journée au bord de la mer",
            "Enfin le week-end",
            "Petit déjeuner en terrasse",
            "Nouvelle recette testée ce soir",
            "De retour à Paris",
            "Balade en forêt ce matin",
        ),
        (
            "amour", "voyage", "paris", "france", "cuisine", "été", "photographie", "nature",
            "bonheur", "mode", "vacances", "montagne", "lyon", "famille", "café",
        ),
        ("Léa", "Hugo", "Chloé", "Louis", "Manon", "Gabriel", "Inès"),
        ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard"),
        ("Passionnée de photo", "Entre Paris et la mer", "Cuisine maison et voyages"),
        (("Paris, France", "paris-france"), ("Mont Saint-Michel", "mont-saint-michel"),
         ("Annecy", "annecy")),
    ),
    Language(
        "pt",
        0.10,
        (
            "Que dia lindo na praia",
            "Finalmente fim de semana",
            "Café da manhã com vista",
            "Receita nova testada hoje",
            "Saudades do verão passado",
            "Pôr do sol no Rio",
        ),
        (
            "amor", "viagem", "brasil", "praia", "comida", "verão", "fotografia", "natureza",
            "felicidade", "riodejaneiro", "saopaulo", "família", "café", "música", "pôrdosol",
        ),
        ("João", "Ana", "Pedro", "Beatriz", "Gabriel", "Júlia", "Rafael"),
        ("Silva", "Santos", "Oliveira", "Souza", "Conceição", "Araújo"),
        ("Carioca de coração 🇧🇷", "Viajar é preciso", "Fotografia e café"),
        (("Rio de Janeiro, Brazil", "rio-de-janeiro-brazil"), ("Lisboa, Portugal", "lisboa-portugal"),
         ("Praia de Copacabana", "praia-de-copacabana")),
    ),
    Language(
        "ja",
        0.08,
        (
            "今日は海に行ってきました",
            "週末のカフェ巡り",
            "新しいレシピに挑戦しました",
            "桜がきれいでした",
            "東京の夜景",
            "朝ラン完了",
        ),
        (
            "写真", "旅行", "カフェ", "東京", "桜", "猫", "ラーメン", "夏", "海", "料理",
            "日本", "京都", "おしゃれ", "空", "犬",
        ),
        ("さくら", "ゆうき", "はると", "あおい", "蓮", "陽菜"),
        ("佐藤", "鈴木", "高橋", "田中", "伊藤"),
        ("東京在住📷", "カフェ巡りが好きです", "写真と旅の記録"),
        (("東京タワー", "tokyo-tower"), ("京都駅", "kyoto-station"), ("渋谷", "shibuya")),
    ),
    Language(
        "ru",
        0.07,
        (
            "Какой прекрасный день у моря",
            "Наконец-то выходные",
            "Завтрак с видом на город",
            "Новый рецепт — очень вкусно",
            "Вечерняя прогулка по Москве",
            "Вспоминаю прошлое лето",
        ),
        (
            "любовь", "путешествия", "москва", "природа", "еда", "лето", "фото", "красота",
            "семья", "море", "кофе", "осень", "питер", "счастье", "друзья",
        ),
        ("Анна", "Иван", "Мария", "Дмитрий", "Ольга", "Сергей"),
        ("Иванова", "Петров", "Смирнова", "Кузнецов", "Попова"),
        ("Фотограф из Москвы", "Люблю путешествия и кофе", "Живу у моря"),
        (("Москва, Россия", "moscow-russia"), ("Красная площадь", "red-square"),
         ("Санкт-Петербург", "saint-petersburg")),
    ),
    Language(
        "ar",
        0.06,
        (
            "يوم جميل على الشاطئ",
            "أخيراً عطلة نهاية الأسبوع",
            "قهوة الصباح",
            "وصفة جديدة جربتها اليوم",
            "غروب الشمس في دبي",
            "ذكريات الصيف الماضي",
        ),
        (
            "حب", "سفر", "دبي", "طبيعة", "قهوة", "صيف", "تصوير", "عائلة", "مصر", "طعام",
            "جمال", "بحر", "السعودية", "الرياض", "سعادة",
        ),
        ("محمد", "فاطمة", "أحمد", "مريم", "علي", "نور"),
        ("العلي", "حسن", "الخطيب", "منصور", "الشامي"),
        ("مصورة من دبي", "عاشق القهوة ☕", "سفر وتصوير"),
        (("دبي", "dubai-united-arab-emirates"), ("القاهرة", "cairo-egypt"),
         ("الرياض", "riyadh-saudi-arabia")),
    ),
    Language(
        "hi",
        0.06,
        (
            "समुद्र किनारे एक खूबसूरत दिन",
            "आखिरकार वीकेंड आ गया",
            "सुबह की चाय",
            "आज नई रेसिपी बनाई",
            "मुंबई की शाम",
            "पिछली गर्मियों की यादें",
        ),
        (
            "प्यार", "यात्रा", "भारत", "खाना", "मुंबई", "दिल्ली", "प्रकृति", "फोटोग्राफी",
            "गर्मी", "परिवार", "चाय", "बॉलीवुड", "खुशी", "संगीत", "त्योहार",
        ),
        ("आरव", "अनन्या", "विहान", "दिया", "अर्जुन", "प्रिया"),
        ("शर्मा", "वर्मा", "गुप्ता", "सिंह", "पटेल"),
        ("चाय और किताबें", "मुंबई से फोटोग्राफर", "घूमना पसंद है"),
        (("मुंबई", "mumbai-maharashtra"), ("इंडिया गेट", "india-gate"), ("जयपुर", "jaipur")),
    ),
    Language(
        "ko",
        0.07,
        (
            "바닷가에서 보낸 멋진 하루",
            "드디어 주말이다",
            "오늘의 커피",
            "새로운 레시피 도전",
            "서울의 야경",
            "아침 러닝 완료",
        ),
        (
            "일상", "여행", "서울", "맛집", "카페", "사랑", "여름", "사진", "데일리",
            "먹스타그램", "바다", "친구", "운동", "패션", "주말",
        ),
        ("민준", "서연", "지호", "하은", "도윤", "지우"),
        ("김", "이", "박", "최", "정"),
        ("서울 사는 사진가", "카페 투어 중 ☕", "일상 기록"),
        (("서울", "seoul-korea"), ("해운대해수욕장", "haeundae-beach"), ("제주도", "jeju-island")),
    ),
)

LANGUAGE_BY_CODE = {lang.code: lang for lang in LANGUAGES}

# Candidates for planted trends, one per script; none is a background tag. Case is kept as
# it appears in captions (the analysis normalises; the ground truth does not).
TREND_CANDIDATES: tuple[str, ...] = (
    "AuroraNights",
    "nordlichter",
    "오로라여행",
    "северноесияние",
    "オーロラ観測",
    "eclipsetotal",
    "दीपोत्सव",
    "خسوف_القمر",
    "chuvademeteoros",
    "pluiedetoiles",
)

EMOJI: tuple[str, ...] = (
    "✨", "🌅", "🔥", "❤️", "😂", "🙏", "🌎", "📸", "☕", "🎉", "💪", "🌸", "🇧🇷", "👩‍💻",
    "🏖️", "😍", "🙌🏽",
)

# ASCII words for usernames: Instagram usernames are letters, digits, "_" and ".".
USERNAME_WORDS: tuple[str, ...] = (
    "sun", "moon", "coffee", "travel", "pixel", "wander", "salt", "ocean", "urban", "wild",
    "green", "lens", "daily", "happy", "north", "velvet", "maple", "cosmo", "lucky", "indie",
    "bloom", "story", "river", "metro", "studio", "kitchen", "nomad", "atlas", "retro", "zen",
)

CATEGORIES: tuple[str | None, ...] = (
    "Artist", "Photographer", "Blogger", "Personal blog", "Public figure", "Musician/band",
    "Digital creator", "Restaurant", "Travel company", "Athlete", None, None, None,
)
