"""The fifth fresh set of held-out facts for the recall benchmark, written by someone who never saw the ranking code."""
from recall_fixture import Fact

# Persona: Ximena Rojas, 47, Chilean-born fisheries biologist (snow crab) at the Bedford Institute of
# Oceanography, living in Herring Cove near Halifax, Nova Scotia, with husband Graeme (carpenter),
# kids Tomás (15) and Lucía (11).
FRESH: tuple[Fact, ...] = (
    # --- pets ---
    Fact(
        "Pisco is 6 now, border collie, gets 2 cups of the salmon kibble morning and night",
        ("How much food does the dog get at each meal?", "How old is our collie?"),
        150,
    ),
    Fact(
        "switched Pisco's vet to Dr. Amrita Sandhu at Bedford Animal Hospital, the old place kept double booking us",
        ("Who's the dog's vet now?", "Which animal clinic do we take Pisco to?"),
        90,
        older="Pisco's vet is Dr. Leblanc at Quinpool Vet Clinic",
        older_age_days=800,
    ),
    Fact(
        "Lucía's hamster is called Empanada, she's supposed to clean the cage every sunday",
        ("What's the hamster's name?", "When is my daughter meant to clean out the cage?"),
        310,
    ),
    Fact(
        "Pisco is allergic to chicken — itchy paws every time, so NO chicken treats",
        ("Which treats should I avoid buying for the dog?", "Why does Pisco keep scratching his paws?"),
        420,
    ),
    Fact(
        "Denise next door has a big old Newfoundland named Bosun, he's terrified of Pisco lol",
        ("What breed is the neighbour's dog?", "What's Denise's dog called?"),
        230,
    ),
    Fact(
        "heartworm pill for Pisco on the 1st of every month, Graeme always forgets so I do it",
        ("When does the dog get his heartworm medicine?", "Who gives Pisco his monthly pill?"),
        75,
    ),
    Fact(
        "Dog walker is Kenji, $25 a walk, tues and thurs at noon",
        ("How much do we pay the dog walker?", "Which days does Kenji come by?"),
        180,
    ),
    Fact(
        "When we travel Pisco goes to Hound Lodge kennel in Timberlea, $48/night",
        ("Where does the dog stay when we go away?", "What does the kennel charge per night?"),
        260,
    ),
    Fact(
        "Tomás is begging for a bearded dragon for his bday, told him we'd think about it",
        ("What pet is my son asking for?",),
        35,
    ),

    # --- family ---
    Fact(
        "Graeme's birthday is March 14, he'll be 50 this year and says he wants no fuss",
        ("When's my husband's birthday?", "What age is Graeme turning?"),
        95,
    ),
    Fact(
        "Tomás turns 16 on October 2",
        ("When is my son's birthday?", "How old will Tomás be this fall?"),
        400,
    ),
    Fact(
        "my own bday is 22 june btw",
        ("When's my birthday again?",),
        1100,
    ),
    Fact(
        "Lucía is in grade 6 at Oxford School this year, her teacher is Ms. Fougère",
        ("Who's Lucía's teacher?", "What grade is my daughter in?"),
        45,
    ),
    Fact(
        "Tomás made the Halifax Wanderers youth academy U16 squad!! practice mon/wed/fri 6-8pm at the "
        "Wanderers Grounds",
        ("What nights does my son have soccer practice?", "Which team did Tomás get onto?"),
        60,
    ),
    Fact(
        "Mamá (Carmen) is 78, still in Valparaíso, calls every sunday around 10am our time",
        ("When does my mother usually phone?", "How old is my mom?"),
        330,
    ),
    Fact(
        "My brother Rodrigo lives in Santiago with his wife Paula and their twins Ignacio and Martina",
        ("What are my brother's kids called?", "Who is Rodrigo married to?"),
        900,
    ),
    Fact(
        "Graeme's mum Moira moved into a care home in Truro — Shannex Parkland, room 214",
        ("Where is my mother-in-law living now?", "What room is Moira in?"),
        60,
        older="Graeme's mum Moira still lives on her own in Truro on Prince St",
        older_age_days=900,
    ),
    Fact(
        "Our anniversary is August 9, we got married in 2006 in Viña del Mar",
        ("When is our wedding anniversary?", "Where did Graeme and I get married?"),
        1250,
    ),
    Fact(
        "Lucía wants to quit piano and take violin instead, I said she can try in september",
        ("What instrument does my daughter want to switch to?", "When can Lucía start the new instrument?"),
        25,
    ),
    Fact(
        "Tomás's orthodontist is Dr. Paquette, braces should come off around April",
        ("When do my son's braces come off?", "Who's the orthodontist?"),
        140,
    ),
    Fact(
        "Graeme's sister Fiona and her husband Mike are in Calgary, they come out every other Christmas",
        ("Where does my sister-in-law live?", "How often do Fiona and Mike visit?"),
        520,
    ),

    # --- work ---
    Fact(
        "I'm a research scientist with DFO at the Bedford Institute of Oceanography, mostly snow crab stock assessment",
        ("What species do I study at work?", "Which institute am I based at?"),
        1300,
    ),
    Fact(
        "my new manager is Priya Raman since the reorg in january",
        ("Who's my boss now?", "Who do I report to at work?"),
        120,
        older="my manager is Doug MacIsaac",
        older_age_days=1000,
    ),
    Fact(
        "Survey cruise on the CCGS Capt. Jacques Cartier leaves Sept 8, back Sept 27",
        ("When am I away at sea for the survey?", "What's the name of the ship for the survey?"),
        70,
    ),
    Fact(
        "Assessment report due to the CSAS committee Feb 28, no extensions this time",
        ("When is the crab report deadline?",),
        40,
    ),
    Fact(
        "my employee number is 4471920",
        ("What's my staff ID number?",),
        800,
    ),
    Fact(
        "team meeting is wednesdays at 9:30 now",
        ("When's the weekly team meeting?", "What day do we have our staff meeting?"),
        30,
        older="weekly team meeting is mondays 2pm",
        older_age_days=400,
    ),
    Fact(
        "WFH tues + fri, in the office the other 3 days",
        ("Which days do I work from home?",),
        210,
    ),
    Fact(
        "Hassan Abadi covers my crab data when I'm away, his ext is 3318",
        ("Who fills in for me when I'm on leave?", "What's Hassan's phone extension?"),
        240,
    ),
    Fact(
        "I'm presenting at the Crustacean Society meeting in Portland, Maine, June 17-20",
        ("Where's the crustacean conference this year?", "What dates is my conference?"),
        110,
    ),

    # --- health ---
    Fact(
        "I take levothyroxine 75 mcg at 6am on an empty stomach",
        ("What dose is my thyroid pill?", "When should I take my thyroid medication?"),
        600,
    ),
    Fact(
        "My family doctor is Dr. Nkechi Obi at the Spryfield clinic",
        ("Who's my GP?", "Which clinic is my family doctor at?"),
        700,
    ),
    Fact(
        "Graeme's family doc is Dr. Ian Wallace over in Dartmouth",
        ("Who's my husband's doctor?",),
        650,
    ),
    Fact(
        "Graeme tore the meniscus in his left knee, MRI at the QEII Nov 4 at 7:15am",
        ("When is Graeme's MRI?", "Which knee did he hurt?"),
        20,
    ),
    Fact(
        "allergic to penicillin, I get hives",
        ("Which antibiotic am I allergic to?", "What reaction do I get to penicillin?"),
        1200,
    ),
    Fact(
        "Lucía has a peanut allergy. EpiPen in her backpack front pocket, spare one in the kitchen drawer "
        "by the fridge",
        ("Where do we keep the spare EpiPen?", "What is my daughter allergic to?"),
        500,
    ),
    Fact(
        "Dentist is Dr. Chow, cleanings every 6 months, my last one was in May",
        ("When did I last get my teeth cleaned?", "Who's our dentist?"),
        160,
    ),
    Fact(
        "BP was 128/82 on the machine at the pharmacy last week",
        ("What was my last blood pressure reading?", "Where did I check my BP?"),
        12,
    ),
    Fact(
        "I get migraines if I skip coffee, so keep at least 1 cup even on weekends",
        ("What sets off my headaches?", "Can I skip my morning coffee on Saturday?"),
        380,
    ),
    Fact(
        "physio for my right shoulder with Aiden at Kinetic Physio, thursdays 4:15, 6 more sessions left",
        ("Who's my physiotherapist?", "What time is physio on Thursdays?"),
        18,
    ),
    Fact(
        "My reading glasses are +1.75, keep a spare pair in the car",
        ("What strength are my readers?", "Where's my extra pair of glasses?"),
        290,
    ),
    Fact(
        "Dr Obi upped my vitamin D to 2000 IU a day after the blood work",
        ("How much vitamin D am I supposed to take?", "Did the doctor change my vitamin dose?"),
        45,
        older="taking 1000 IU vitamin D every day",
        older_age_days=500,
    ),

    # --- plans and appointments ---
    Fact(
        "Chile trip booked! Air Canada, Halifax-Toronto-Santiago Dec 18, coming back Jan 10",
        ("When do we leave for Chile?", "What day do we fly home from Santiago?"),
        85,
    ),
    Fact(
        "Winter tires going on the Subaru Nov 12, 8am, Canadian Tire on Joseph Howe",
        ("When is my tire changeover?", "Where am I getting the snow tires put on?"),
        15,
    ),
    Fact(
        "Parent-teacher interview for Lucía Nov 21 at 5:40",
        ("What time is the parent-teacher meeting for Lucía?",),
        10,
    ),
    Fact(
        "Tomás starts driver's ed with Young Drivers on Jan 20, saturday mornings",
        ("When does my son start driving lessons?", "Which driving school is Tomás signed up with?"),
        28,
    ),
    Fact(
        "want to do the Cabot Trail with the kids in July, maybe rent a cabin in Ingonish for a week",
        ("Where are we thinking of staying on the Cabot Trail?", "When do we want to take the kids to Cape Breton?"),
        55,
    ),
    Fact(
        "Graeme's 50th: planning a surprise dinner at The Bicycle Thief, ~12 people, don't tell him",
        ("Which restaurant for the surprise party?", "How many people am I inviting to Graeme's dinner?"),
        22,
    ),
    Fact(
        "Eye exam booked Feb 6, 3pm, Dr. Morrison on Spring Garden",
        ("When's my eye appointment?", "Who's my optometrist?"),
        33,
    ),
    Fact(
        "Hair w/ Shauna every 8 wks, next one is Oct 30",
        ("When's my next haircut?", "Who cuts my hair?"),
        14,
    ),
    Fact(
        "Tomás's school trip to Québec City is in April, $350 deposit due Nov 1",
        ("How much is the deposit for Tomás's trip?", "Where is my son's school trip going?"),
        26,
    ),

    # --- preferences ---
    Fact(
        "I don't eat red meat, fish and seafood are fine",
        ("Do I eat beef?", "Can I have shrimp?"),
        1000,
    ),
    Fact(
        "Graeme hates cilantro, leave it out of anything I cook for him",
        ("What herb does my husband not like?",),
        850,
    ),
    Fact(
        "I drink my coffee black, Graeme takes 2 milk 1 sugar",
        ("How does Graeme take his coffee?", "Do I take milk in my coffee?"),
        720,
    ),
    Fact(
        "fave wine is carmenere, Montes Alpha if the NSLC has it",
        ("What's my favourite wine?", "Which bottle should I look for at the liquor store?"),
        460,
    ),
    Fact(
        "Always give me temperatures in Celsius and distances in km please",
        ("Which units do I prefer?",),
        1150,
    ),
    Fact(
        "I like a window seat on long flights but Graeme needs the aisle for his knee",
        ("What seat does Graeme need on planes?", "Do I prefer window or aisle?"),
        80,
    ),
    Fact(
        "Lucía will only eat pasta with butter and parmesan rn, no sauce at all",
        ("How does my daughter like her pasta?",),
        65,
    ),

    # --- places ---
    Fact(
        "Our address is 41 Regatta Point Drive, Herring Cove",
        ("What's our home address?", "What street do we live on?"),
        1050,
    ),
    Fact(
        "Tomás goes to Halifax West High, bus is 7:05 at the end of our road",
        ("Which high school does my son attend?", "What time does Tomás's bus come?"),
        50,
    ),
    Fact(
        "Best fresh fish is Fisherman's Market on the Bedford Hwy, ask for Jim",
        ("Where do I buy fresh fish?",),
        560,
    ),
    Fact(
        "Graeme's family has a camp on Lake Ainslie in Cape Breton",
        ("Where is the family camp?",),
        950,
    ),
    Fact(
        "Parking at BIO: lot C, spot 112",
        ("Where do I park at work?", "What's my parking spot number?"),
        270,
    ),
    Fact(
        "The Chilean bakery is Panadería Austral on Agricola St, marraquetas fridays only",
        ("When can I get marraquetas?", "Where's the Chilean bakery?"),
        340,
    ),

    # --- home ---
    Fact(
        "Heating oil is Irving auto-fill, account 88-30412",
        ("Who delivers our furnace oil?", "What's our Irving account number?"),
        610,
    ),
    Fact(
        "new wifi password is GaviotaAzul!2024",
        ("What's the wifi password?",),
        20,
        older="wifi password is PiscoPerro88",
        older_age_days=600,
    ),
    Fact(
        "Garbage pickup is tuesday, green bin and recycling alternate weeks",
        ("Which day is garbage day?", "Do the recycling and compost go out every week?"),
        980,
    ),
    Fact(
        "Roof was redone in 2019 by Atlantic Roofing, 25 yr warranty",
        ("When did we get the roof replaced?", "How long is the roof warranty?"),
        1080,
    ),
    Fact(
        "moved the spare key, Denise next door has it now",
        ("Where's the spare house key?", "Is the key still under the planter?"),
        100,
        older="spare key is under the blue planter by the back door",
        older_age_days=700,
    ),
    Fact(
        "Chimney sweep is Ray from Clean Sweep, 902-555-0147, book him before the first fire in Oct",
        ("What's the chimney sweep's number?", "When should I get the chimney cleaned?"),
        370,
    ),
    Fact(
        "Graeme is building a deck off the kitchen, pressure treated, wants it done by Canada Day",
        ("When does Graeme want the deck finished?", "What wood is he using for the deck?"),
        130,
    ),

    # --- money ---
    Fact(
        "Mortgage is with Scotiabank, 4.29% fixed, renews Aug 2026",
        ("When does our mortgage come up for renewal?", "What's our mortgage rate?"),
        300,
    ),
    Fact(
        "putting $200/month into each kid's RESP",
        ("How much do we save for the kids' education each month?",),
        480,
    ),
    Fact(
        "Home insurance is Portage Mutual, renews May 1, about $1,840 a year",
        ("Who's our house insurer?", "When does the home insurance renew?"),
        200,
    ),
    Fact(
        "Allowance: Tomás gets $15 a week, Lucía $10",
        ("How much pocket money does Lucía get?", "What do we give Tomás weekly?"),
        170,
    ),
    Fact(
        "I send Mamá 150,000 CLP every month through Wise",
        ("How much money do I send my mother?", "What app do I use to send money to Chile?"),
        250,
    ),
    Fact(
        "our accountant Bev Tanaka does the taxes every March, charges around $400",
        ("Who does our taxes?", "What does the accountant charge?"),
        440,
    ),
    Fact(
        "cancelled Netflix, we just have Crave and Disney+ now",
        ("Which streaming services are we paying for?",),
        25,
        older="we pay for Netflix and Disney+",
        older_age_days=500,
    ),

    # --- hobbies ---
    Fact(
        "I sing alto in the Chebucto Community Choir, rehearsal mondays 7pm at St. Andrew's",
        ("What night is choir?", "What voice part do I sing?"),
        350,
    ),
    Fact(
        "Started sea kayaking — Graeme got me a used Necky Looksha for my bday",
        ("What kind of kayak do I have?", "Who gave me the kayak?"),
        190,
    ),
    Fact(
        "Book club this month: Klara and the Sun, meeting at Marisol's on the 15th",
        ("What are we reading for book club?", "Whose house is book club at?"),
        16,
    ),
    Fact(
        "Training for the 10k on Bluenose weekend in May, running 3x a week",
        ("Which race am I training for?", "How often am I running?"),
        42,
    ),
    Fact(
        "Graeme's into woodturning, he's been eyeing a Nova Comet II lathe",
        ("What lathe does my husband want?", "What's Graeme's hobby in the workshop?"),
        135,
    ),
    Fact(
        "learning to knit!! first project is a teal hat for Lucía",
        ("What am I knitting?", "What colour is the hat for Lucía?"),
        58,
    ),
    Fact(
        "Tomás plays FIFA online with his cousin Ignacio on Saturday mornings",
        ("Who does Tomás game with online?", "When does my son play video games with his cousin?"),
        220,
    ),

    # --- friends ---
    Fact(
        "Julie Arsenault, my best friend since grad school at Dal, moved to Moncton",
        ("Where does Julie live now?", "How do I know Julie?"),
        390,
    ),
    Fact(
        "Denise next door is a retired nurse, she'll feed the hamster when we're away",
        ("Who looks after the hamster when we travel?", "What did Denise do for a living?"),
        280,
    ),
    Fact(
        "Marisol from choir is from Puebla, her husband Dev is a paramedic, we do dinner once a month",
        ("What does Marisol's husband do?", "Where is Marisol from originally?"),
        320,
    ),
    Fact(
        "Kevin and Aisha down the road have a golden retriever, Maple, she's Pisco's best buddy",
        ("What's the name of Kevin and Aisha's dog?", "Who is Pisco's dog friend?"),
        360,
    ),
    Fact(
        "Hannah's birthday is Nov 3, she loves gin",
        ("When is Hannah's birthday?", "What's a good gift for Hannah?"),
        410,
    ),
)
